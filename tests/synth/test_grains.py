import math

import numpy as np
import pytest
from scipy import ndimage as ndi

import napari_finetune as nf
from napari_finetune.synth.seeds import long_axis_vector


def test_same_seed_gives_identical_sample():
    a = nf.voronoi_grains((128, 160), 20, target_domain=True, seed=7)
    b = nf.voronoi_grains((128, 160), 20, target_domain=True, seed=7)
    np.testing.assert_array_equal(a.image, b.image)
    np.testing.assert_array_equal(a.grains, b.grains)
    np.testing.assert_array_equal(a.boundaries, b.boundaries)


def test_different_seeds_give_different_samples():
    a = nf.voronoi_grains((128, 128), 20, seed=1)
    b = nf.voronoi_grains((128, 128), 20, seed=2)
    assert (a.grains != b.grains).mean() > 0.5
    assert not np.allclose(a.image, b.image)


def test_output_types_and_ranges():
    s = nf.voronoi_grains((100, 140), 15, seed=0)
    assert s.image.dtype == np.float32 and s.image.shape == (100, 140)
    assert s.grains.dtype == np.int32 and s.boundaries.dtype == np.uint8
    assert set(np.unique(s.boundaries)) == {0, 1}
    assert set(np.unique(s.classes)) == {1, 2}
    assert s.image.min() >= 0 and s.image.max() < 2


@pytest.mark.parametrize(
    ("shape", "n", "kwargs"),
    [
        ((512, 512), 60, {}),
        ((300, 500), 137, {"size_spread": 0.9}),
        ((256, 256), 400, {"size_spread": 0.0}),
        ((512, 384), 50, {"morphology": "elongated", "direction": 30}),
        ((256, 256), 40, {"target_domain": True}),
        ((64, 64), 1, {}),
    ],
)
def test_number_of_distinct_grain_ids_matches_request(shape, n, kwargs):
    s = nf.voronoi_grains(shape, n, seed=3, **kwargs)
    np.testing.assert_array_equal(np.unique(s.grains), np.arange(1, n + 1))


def test_mean_diameter_sets_grain_count():
    s = nf.voronoi_grains((400, 400), mean_diameter=40.0, seed=0)
    expected = round(400 * 400 / (math.pi * 40.0**2 / 4))
    assert len(np.unique(s.grains)) == expected == s.params.grain_count


def _distance_to_other_grain(grains):
    """Independent reference: Euclidean distance of each pixel to another grain."""
    distance = np.zeros(grains.shape)
    for gid, box in enumerate(ndi.find_objects(grains), start=1):
        grown = tuple(slice(max(b.start - 20, 0), b.stop + 20) for b in box)
        inside = grains[grown] == gid
        distance[grown][inside] = ndi.distance_transform_edt(inside)[inside]
    return distance


@pytest.mark.parametrize("width", [1, 2, 3, 4, 5, 7, 9])
def test_boundaries_lie_exactly_on_id_changes_with_requested_width(width):
    s = nf.voronoi_grains((384, 384), 40, boundary_width=width, dose=None, seed=5)
    b = s.boundaries.astype(bool)
    # Every pair of 4-neighbours with different ids has at least one pixel marked.
    dv = np.diff(s.grains, axis=0) != 0
    dh = np.diff(s.grains, axis=1) != 0
    assert np.all(b[1:][dv] | b[:-1][dv])
    assert np.all(b[:, 1:][dh] | b[:, :-1][dh])
    # The band is exactly `width` wide: marked pixels lie within ceil(w/2) of
    # another grain, unmarked ones further than floor(w/2). One pixel more or
    # less on either side breaks one of the two.
    distance = _distance_to_other_grain(s.grains)
    assert distance[b].max() <= math.ceil(width / 2)
    assert distance[~b].min() > width // 2


def _aspect_ratios(grains, direction):
    """sqrt(var along long axis / var across) for each grain not cut by the edge."""
    e_u = long_axis_vector(direction)
    e_v = np.array([e_u[1], -e_u[0]])
    ratios = []
    for gid, box in enumerate(ndi.find_objects(grains), start=1):
        if box[0].start == 0 or box[1].start == 0:
            continue
        if box[0].stop == grains.shape[0] or box[1].stop == grains.shape[1]:
            continue
        ys, xs = np.nonzero(grains[box] == gid)
        pts = np.stack([ys, xs], 1).astype(float)
        pts -= pts.mean(0)
        ratios.append(math.sqrt((pts @ e_u).var() / max((pts @ e_v).var(), 1e-9)))
    return np.array(ratios)


@pytest.mark.parametrize("direction", [90.0, 0.0, 30.0, -60.0])
def test_elongated_grains_are_anisotropic_along_the_chosen_axis(direction):
    s = nf.voronoi_grains(
        (512, 512), 80, morphology="elongated", direction=direction, dose=None, seed=1
    )
    ratios = _aspect_ratios(s.grains, direction)
    assert len(ratios) > 20
    assert ratios.mean() > 1.5
    # and not along the perpendicular axis
    assert _aspect_ratios(s.grains, direction + 90).mean() < 1 / 1.5


def test_equiaxed_grains_are_not_anisotropic():
    s = nf.voronoi_grains((512, 512), 100, dose=None, seed=1)
    for direction in (0.0, 45.0, 90.0):
        ratios = _aspect_ratios(s.grains, direction)
        assert 0.8 < np.exp(np.log(ratios).mean()) < 1.25
        assert ratios.mean() < 1.5


def test_size_spread_widens_the_grain_size_distribution():
    def log_diameter_spread(spread):
        values = []
        for seed in range(3):
            s = nf.voronoi_grains((384, 384), 80, size_spread=spread, dose=None, seed=seed)
            areas = np.bincount(s.grains.ravel())[1:]
            values.append(np.log(np.sqrt(areas)).std())
        return np.mean(values)

    narrow, medium, wide = (log_diameter_spread(s) for s in (0.0, 0.4, 0.9))
    assert narrow < medium < wide
    assert wide > 1.8 * narrow


def test_target_domain_differs_measurably_from_plain_rendering():
    kwargs = {"dose": None, "blur": 0.0, "seed": 11}
    plain = nf.voronoi_grains((512, 512), 60, **kwargs)
    target = nf.voronoi_grains((512, 512), 60, target_domain=True, **kwargs)

    # Vignetting: corners lose intensity relative to the centre.
    def corner_to_centre(image):
        r = np.hypot(*np.indices(image.shape) - 256)
        return image[r > 300].mean() / image[r < 100].mean()

    assert corner_to_centre(target.image) < 0.85 * corner_to_centre(plain.image)

    # Slow drift: the row-mean ratio target/plain varies along the slow scan axis.
    ratio = target.image.mean(axis=1) / plain.image.mean(axis=1)
    assert ratio.std() > 0.03

    # Scan-line jitter moves some boundaries sideways but keeps the same grains.
    moved = (target.grains != plain.grains).mean()
    assert 0.001 < moved < 0.1
    assert target.params.grain_count == plain.params.grain_count


def test_noise_follows_the_dose():
    flat = {"contrast": 0.0, "boundary_contrast": 0.0, "blur": 0.0, "seed": 0}
    low = nf.voronoi_grains((256, 256), 10, dose=10.0, **flat).image
    high = nf.voronoi_grains((256, 256), 10, dose=1000.0, **flat).image
    # Poisson: relative noise ~ 1 / sqrt(dose * signal); signal is 0.5 here.
    assert low.std() == pytest.approx(math.sqrt(0.5 / 10), rel=0.15)
    assert high.std() < low.std() / 5


def test_bright_edges_for_negative_boundary_contrast():
    s = nf.voronoi_grains((256, 256), 20, boundary_contrast=-0.6, dose=None, blur=0, seed=0)
    b = s.boundaries.astype(bool)
    assert s.image[b].mean() > s.image[~b].mean() + 0.1
