"""G of a specimen over its images as E112 fields: means of intercepts, not of G."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from napari_finetune.measure import g_from_grains_per_mm2, g_from_intercept
from napari_finetune.measure.astm import grains_per_mm2_from_g, intercept_mm_from_g
from napari_finetune.measure.specimen import specimen_sizes


def test_the_e112_relations_are_inverted_exactly():
    for g in (-1.0, 0.0, 7.3, 10.24, 14.0):
        assert g_from_intercept(intercept_mm_from_g(g)) == pytest.approx(g, abs=1e-12)
        assert g_from_grains_per_mm2(grains_per_mm2_from_g(g)) == pytest.approx(g, abs=1e-12)


def test_the_images_are_fields_whose_intercepts_are_averaged():
    intercepts = np.array([0.0090, 0.0100, 0.0110, 0.0105])  # mm, one per image
    table = pd.DataFrame(
        {
            "file": ["a.tif", "b.tif", "c.tif", "d.tif", "e.tif"],
            "G intercept": [*(g_from_intercept(v) for v in intercepts), np.nan],  # e: in px
            "G planimetric": [10.0, 10.2, np.nan, np.nan, np.nan],
        }
    )
    intercept, planimetric = specimen_sizes(table)
    assert intercept.method == "intercept" and intercept.statistic.n == 4
    mean = intercepts.mean()
    assert intercept.statistic.mean == pytest.approx(mean)
    ci = stats.t.ppf(0.975, 3) * intercepts.std(ddof=1) / 2
    assert intercept.statistic.ci95 == pytest.approx(ci)
    # G of the mean intercept, not the mean of the G numbers
    assert intercept.g == pytest.approx(g_from_intercept(mean))
    assert intercept.g_low == pytest.approx(g_from_intercept(mean + ci))  # longer: bigger grains
    assert intercept.g_high == pytest.approx(g_from_intercept(mean - ci))
    said = intercept.describe()
    assert said.startswith(f"G = {intercept.g:.2f} (95% CI {intercept.g_low:.2f}–")
    assert said.endswith(f"%RA {100 * ci / mean:.0f}) by the intercept method over 4 images")
    assert planimetric.statistic.n == 2
    densities = [grains_per_mm2_from_g(10.0), grains_per_mm2_from_g(10.2)]
    assert planimetric.g == pytest.approx(g_from_grains_per_mm2(np.mean(densities)))
    row = planimetric.row()
    assert row["images"] == 2 and row["field mean of"] == "grains per mm²"


def test_one_image_or_none_with_a_g_gives_no_specimen_size():
    one = pd.DataFrame({"G intercept": [10.1, np.nan], "G planimetric": [np.nan, np.nan]})
    assert specimen_sizes(one) == []
    assert specimen_sizes(pd.DataFrame({"file": ["a.tif"]})) == []  # no G column at all
    # Two images 20 % apart: with n = 2 (t = 12.7) the interval reaches below zero.
    two = pd.DataFrame({"G intercept": [g_from_intercept(0.010), g_from_intercept(0.0125)]})
    (size,) = specimen_sizes(two)
    assert size.g_low is None
    assert "(no 95% CI: over 2 images its lower end is below zero)" in size.describe()
