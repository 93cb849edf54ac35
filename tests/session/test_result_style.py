import itertools

import numpy as np
import pytest

from napari_finetune._sample_data import (
    EXTRA_CLASS_COLOUR,
    INTERIOR_COLOUR,
    PAINTED_BOUNDARY_COLOUR,
    nist_steel,
    painted_grains,
)
from napari_finetune.session.result_style import (
    BRIGHT_IMAGE_UNCERTAINTY,
    DARK_IMAGE_UNCERTAINTY,
    MIN_COLOUR_DIFFERENCE,
    PREDICTION_PALETTE,
    colour_difference,
    displayed_brightness,
    prediction_colours,
    uncertainty_style,
)

GRAINS = {1: "grain interior", 2: "boundary"}
PAINTED = [INTERIOR_COLOUR, PAINTED_BOUNDARY_COLOUR, EXTRA_CLASS_COLOUR]


def test_prediction_colours_are_named_and_unlike_the_painted_ones():
    colours = prediction_colours(GRAINS, PAINTED)
    assert list(colours) == [1, 2]
    assert [c.name for c in colours.values()] == ["grain interior", "boundary"]
    assert [c.colour_name for c in colours.values()] == ["blue", "vermilion"]
    for c in colours.values():
        assert all(colour_difference(c.colour, p) >= MIN_COLOUR_DIFFERENCE for p in PAINTED)
    assert colour_difference(colours[1].colour, colours[2].colour) >= MIN_COLOUR_DIFFERENCE
    assert prediction_colours(GRAINS, PAINTED) == colours  # the same every time


def test_a_painted_colour_pushes_the_prediction_off_it():
    blue = PREDICTION_PALETTE[0][1]
    colours = prediction_colours(GRAINS, [blue, (0.84, 0.37, 0.0, 1.0)])  # blue, vermilion
    chosen = [c.colour for c in colours.values()]
    assert blue not in chosen and PREDICTION_PALETTE[1][1] not in chosen
    # fully transparent colours (unpainted 0) are not "in use"
    assert prediction_colours(GRAINS, [(0.0, 0.45, 0.7, 0.0)])[1].colour == blue


def test_many_classes_all_get_colours_of_their_own():
    classes = {k: f"class {k}" for k in range(1, 13)}
    colours = prediction_colours(classes)
    values = [c.colour for c in colours.values()]
    assert len(set(values)) == 12
    assert all(len(v) == 7 and v.startswith("#") for v in values)
    closest = min(colour_difference(a, b) for a, b in itertools.combinations(values, 2))
    assert closest > 20


def test_brightness_as_displayed():
    assert displayed_brightness(np.full((64, 64), 255, np.uint8)) == 1.0
    assert displayed_brightness(np.zeros((64, 64), np.uint8)) == 0.0
    ramp = np.linspace(0, 1, 10_000).reshape(100, 100)
    assert displayed_brightness(ramp) == pytest.approx(0.5, abs=0.01)
    # contrast limits set the display: all above the top limit shows white
    assert displayed_brightness(ramp, (0.0, 0.5)) == pytest.approx(0.75, abs=0.01)
    rgb = np.zeros((32, 32, 3), np.uint8)
    rgb[..., 0] = 255
    assert displayed_brightness(rgb) == pytest.approx(1 / 3)
    assert displayed_brightness(np.full((4, 8, 8), 7.0)) in (0.0, 1.0)  # flat: no crash
    grey_stack = np.zeros((5, 64, 3))  # three columns, not three channels
    grey_stack[..., 0] = 1.0
    assert displayed_brightness(grey_stack, rgb=False) == pytest.approx(1 / 3)
    assert displayed_brightness(np.zeros((0, 4))) == 0.0


def test_brightness_reads_only_a_sample_of_a_large_image():
    class Lazy:  # records what is read, like a Dask or Zarr array
        shape, dtype = (4096, 4096), np.dtype(np.uint8)

        def __getitem__(self, index):
            self.read = np.zeros(self.shape, np.uint8)[index]
            return self.read

    lazy = Lazy()
    assert displayed_brightness(lazy) == 0.0
    assert lazy.read.size <= 2 * 65_536


def test_uncertainty_style_follows_the_samples_brightness():
    bright, kwargs, _ = nist_steel()[0]
    dark, dark_kwargs, _ = painted_grains()[0]
    on_bright = uncertainty_style(displayed_brightness(bright, kwargs.get("contrast_limits")))
    on_dark = uncertainty_style(displayed_brightness(dark, dark_kwargs["contrast_limits"]))
    assert on_bright == BRIGHT_IMAGE_UNCERTAINTY and on_dark == DARK_IMAGE_UNCERTAINTY
    # adding light to a white image shows nothing: the bright style covers instead
    assert on_dark.blending == "additive" and on_dark.colormap == "inferno"
    assert on_bright.blending == "translucent"
    stops = np.array(on_bright.colours)
    assert stops[0, 3] == 0.0 and np.all(np.diff(stops[:, 3]) > 0)  # sure = see-through
    assert stops[-1, :3].max() < 0.8  # dark enough to stand out on white
