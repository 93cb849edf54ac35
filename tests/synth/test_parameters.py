import numpy as np
import pytest

import napari_finetune as nf
from napari_finetune.synth import GrainParameters, TargetDomain


@pytest.mark.parametrize(
    ("kwargs", "names", "why"),
    [
        ({"shape": (0, 512)}, "shape", "at least 16"),
        ({"shape": (-5, 64)}, "shape", "at least 16"),
        ({"shape": (64,)}, "shape", "two whole numbers"),
        ({"shape": "big"}, "shape", "two whole numbers"),
        ({"n_grains": 0}, "n_grains", ">= 1"),
        ({"n_grains": -3}, "n_grains", ">= 1"),
        ({"n_grains": 2.5}, "n_grains", "whole number"),
        ({"n_grains": 10**6}, "n_grains", "at most"),
        ({"mean_diameter": 0}, "mean_diameter", "positive"),
        ({"n_grains": 10, "mean_diameter": 30}, "n_grains", "not both"),
        ({"boundary_width": 40}, "boundary_width", "larger than the grains"),
        ({"boundary_width": 0}, "boundary_width", ">= 1"),
        ({"morphology": "columnar"}, "morphology", "equiaxed, elongated"),
        ({"elongation": 3.0}, "elongation", "morphology='elongated'"),
        ({"morphology": "elongated", "elongation": 0.5}, "elongation", "between 1 and 20"),
        ({"size_spread": -1}, "size_spread", "between 0"),
        ({"contrast": 2}, "contrast", "between 0 and 1"),
        ({"dose": -1}, "dose", "positive"),
        ({"blur": float("nan")}, "blur", "sigma"),
        ({"seed": -1}, "seed", ">= 0"),
        ({"target_domain": "yes"}, "target_domain", "TargetDomain"),
    ],
)
def test_nonsense_parameters_raise_value_error_naming_the_parameter(kwargs, names, why):
    kwargs = {"shape": (512, 512), "n_grains": 60} | kwargs
    if "mean_diameter" in kwargs and kwargs.get("n_grains") == 60:
        del kwargs["n_grains"]
    with pytest.raises(ValueError, match=names) as info:
        nf.voronoi_grains(**kwargs)
    assert why in str(info.value)


def test_boundary_width_limit_depends_on_grain_width():
    # 66 px grains take a 30 px boundary; squeezed 4:1 columns (33 px wide) do not.
    nf.voronoi_grains((512, 512), 60, boundary_width=30, dose=None, seed=0)
    with pytest.raises(ValueError, match="boundary_width"):
        GrainParameters((512, 512), 60, boundary_width=30, morphology="elongated", elongation=4.0)


def test_numpy_scalars_are_accepted():
    p = GrainParameters((np.int64(64), np.int64(64)), np.int64(5), seed=np.int64(1))
    assert p.shape == (64, 64) and p.grain_count == 5


def test_defaults_are_filled_in():
    p = GrainParameters()
    assert p.grain_count == 60 and p.elongation == 1.0
    assert GrainParameters(morphology="elongated").elongation == 3.0
    with pytest.raises(ValueError, match="vignetting"):
        TargetDomain(vignetting=1.5)
