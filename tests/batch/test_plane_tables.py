"""A stack's planes measured one by one: their grain diameters pooled into one distribution."""

import numpy as np

import napari_finetune as nf
from napari_finetune.batch.plane_measurements import PlaneTables
from napari_finetune.measure import Calibration, measure_map


def boundaries(count: int) -> np.ndarray:
    return nf.voronoi_grains((128, 128), count, seed=2).boundaries


def test_the_pooled_diameters_are_every_planes_counted_grains_in_plane_order():
    calibration = Calibration(0.5, "µm")
    tables = PlaneTables("stack", 4)
    planes = [boundaries(12), np.zeros((128, 128), np.uint8), boundaries(25), boundaries(8)]
    for z, plane in enumerate(planes):
        tables.add(z, plane, "boundaries", calibration=calibration, border="exclude")
    ecd, unit = tables.pooled_diameters()
    assert unit == "µm"
    # Plane 1 has no boundary: not measured (its row says why), no grain to add.
    assert tables.reports["stack plane 1"] is None
    alone = [
        measure_map(p, "boundaries", None, calibration, "exclude").report.counted["ecd"]
        for p in (planes[0], planes[2], planes[3])
    ]
    np.testing.assert_allclose(ecd, np.concatenate(alone))
    # 'exclude' leaves the grains the frame cuts out of the distribution as well.
    assert 0 < ecd.size < sum(len(r.table) for r in tables.reports.values() if r is not None)


def test_no_plane_with_grains_pools_nothing():
    tables = PlaneTables("stack", 2)
    tables.add(0, np.zeros((64, 64), np.uint8), "boundaries")  # not measured
    interior = np.zeros((2, 64, 64), np.float32)
    interior[0] = 1.0  # no boundary predicted: the whole plane one "grain"
    tables.add(1, interior, "probabilities")
    assert len(tables.reports["stack plane 1"].table) == 1
    assert tables.pooled_diameters() is None
    assert PlaneTables("empty", 0).pooled_diameters() is None
