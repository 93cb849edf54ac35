import zlib

import numpy as np
import pytest
from scipy import ndimage as ndi

import napari_finetune as nf
from napari_finetune.augment import (
    PRESETS,
    AugmentationPipeline,
    ForbiddenTransformError,
    TransformSetting,
    arrays,
)
from napari_finetune.augment.catalog import CATALOG, GEOMETRIC, A

GEOMETRIC_NAMES = [name for name, info in CATALOG.items() if info.kind == GEOMETRIC]


@pytest.fixture(scope="module")
def grains():
    return nf.voronoi_grains((160, 200), 25, seed=0).grains


def only(name, **params):
    """A pipeline that always applies exactly one transform."""
    return AugmentationPipeline("custom", (TransformSetting(name, True, 1.0, params),))


@pytest.mark.parametrize("name", GEOMETRIC_NAMES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_image_equal_to_its_label_stays_equal_after_geometric_transforms(grains, name, seed):
    # Nearest interpolation for the image too: any misalignment of image and
    # mask then shows as pixels where the image no longer equals the label.
    params = (
        {}
        if name in ("HorizontalFlip", "VerticalFlip", "RandomRotate90")
        else {"interpolation": 0}
    )
    out = only(name, **params).apply(grains.astype(np.uint16), grains.astype(np.uint32), seed)
    differ = out.image.astype(np.int64) != out.mask.astype(np.int64)
    # OpenCV may round an exact half-pixel tie differently for float and int
    # arrays: allow a handful of such pixels, and only on label edges.
    assert differ.mean() <= 0.0005
    edges = ndi.maximum_filter(out.mask, 3) != ndi.minimum_filter(out.mask, 3)
    assert np.all(edges[differ])


def test_linear_interpolation_keeps_alignment_away_from_edges(grains):
    out = only("Rotate").apply(grains.astype(np.float32), grains, seed=5)
    interior = ndi.minimum_filter(out.mask, 5) == ndi.maximum_filter(out.mask, 5)
    interior &= out.mask > 0
    np.testing.assert_allclose(out.image[interior], out.mask[interior], atol=1e-3)


@pytest.mark.parametrize("name", list(CATALOG))
def test_no_new_label_values_and_filled_areas_are_unpainted(grains, name):
    mask = grains.astype(np.uint32) + 100_000  # large ids: uint32 territory
    for seed in range(3):
        out = only(name).apply(grains.astype(np.uint8), mask, seed)
        assert out.mask.dtype == np.uint32
        assert set(np.unique(out.mask)) <= set(np.unique(mask)) | {0}
        if name == "Rotate":
            assert (out.mask == 0).any()  # corners brought in by rotation are 0


@pytest.mark.parametrize(
    "image",
    [
        np.linspace(0, 255, 64 * 80).reshape(64, 80).astype(np.uint8),
        np.linspace(0, 60000, 64 * 80).reshape(64, 80).astype(np.uint16),
        np.linspace(-3.5, 12.0, 64 * 80).reshape(64, 80).astype(np.float32),
        np.linspace(0, 1, 64 * 80 * 3).reshape(64, 80, 3).astype(np.float64),
        np.dstack([np.linspace(0, 255, 64 * 80).reshape(64, 80).astype(np.uint8)] * 3),
    ],
    ids=["uint8", "uint16", "float32-calibrated", "rgb-float64", "rgb-uint8"],
)
def test_dtypes_and_rgb_round_trip(image):
    mask = np.zeros(image.shape[:2], np.int32)
    mask[10:30, 20:50] = 2
    pipeline = AugmentationPipeline.from_preset("equiaxed").with_enabled("GaussNoise")
    out = pipeline.apply(image, mask, seed=3)
    assert out.image.dtype == image.dtype and out.image.shape == image.shape
    assert out.mask.dtype == mask.dtype
    # identity keeps the values exactly (float: to rounding)
    same = AugmentationPipeline("custom").apply(image, mask, seed=0)
    np.testing.assert_allclose(same.image, image, rtol=1e-6, atol=1e-5)


def test_rgb_channels_move_together():
    rgb = np.zeros((40, 60, 3), np.uint8)
    rgb[5:15, 10:30] = (255, 0, 0)
    out = only("HorizontalFlip").apply(rgb, seed=0)
    np.testing.assert_array_equal(out.image, rgb[:, ::-1])


def test_shape_mismatch_and_bad_labels_are_refused():
    pipeline = AugmentationPipeline.from_preset("equiaxed")
    with pytest.raises(ValueError, match="do not match"):
        pipeline.apply(np.zeros((10, 10)), np.zeros((10, 12), np.uint8))
    with pytest.raises(ValueError, match="integers"):
        pipeline.apply(np.zeros((10, 10)), np.zeros((10, 10), np.float32))
    with pytest.raises(ValueError, match="NaN"):
        pipeline.apply(np.full((10, 10), np.nan), np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError, match="grey or RGB"):
        pipeline.apply(np.zeros((4, 10, 10)), np.zeros((4, 10), np.uint8))


def test_same_seed_same_output_different_seed_different():
    image = nf.voronoi_grains((128, 128), 10, seed=1).image
    pipeline = AugmentationPipeline.from_preset("equiaxed").with_enabled("ElasticTransform")
    a, b = pipeline.apply(image, seed=7), pipeline.apply(image, seed=7)
    np.testing.assert_array_equal(a.image, b.image)
    assert a.description == b.description
    assert any(
        not np.array_equal(a.image, pipeline.apply(image, seed=s).image) for s in range(8, 12)
    )


def every_allowed(preset):
    pipeline = AugmentationPipeline.from_preset(preset)
    for name in CATALOG:
        if PRESETS[preset].reason(name) is None:
            pipeline = pipeline.with_enabled(name)
    return pipeline


def built_and_seeded_afresh(pipeline, seed):
    """What every draw did before transforms were built once: a new build, seeded per transform."""
    built = [CATALOG[t.name].build(t.p, t.params) for t in pipeline.active]
    compose = A.ReplayCompose(built)
    compose.set_random_seed(seed)
    for setting, transform in zip(pipeline.active, built, strict=True):
        stream = np.random.SeedSequence([seed, zlib.crc32(setting.name.encode())])
        transform.set_random_seed(int(stream.generate_state(1)[0]))
    return compose


@pytest.mark.parametrize("preset", ["equiaxed", "eels"])
def test_a_compiled_pipeline_draws_what_a_fresh_build_draws_seed_for_seed(grains, preset):
    # Training builds the transforms once and reseeds them per patch: a seed must
    # give what it gave before, whatever was drawn in between (recorded runs repeat).
    pipeline = every_allowed(preset)
    image = (grains % 7 / 7).astype(np.float32)[:64, :80]
    mask = (grains % 3 + 1).astype(np.uint8)[:64, :80]
    compiled = pipeline.compile()
    for seed in (11, 12, 13, 11, 2**31 - 1):
        work, mapping = arrays.image_to_unit(image)
        out = built_and_seeded_afresh(pipeline, seed)(image=work, mask=mask.astype(np.int32))
        drawn, drawn_mask = compiled.transform(image, mask, seed)
        np.testing.assert_array_equal(
            drawn, arrays.unit_to_image(np.clip(out["image"], 0, 1), mapping)
        )
        np.testing.assert_array_equal(drawn_mask, out["mask"])
        assert drawn_mask.dtype == np.uint8
        sample = compiled.apply(image, mask, seed)
        np.testing.assert_array_equal(sample.image, drawn)
        assert sample.description == pipeline.apply(image, mask, seed).description
    assert not np.array_equal(compiled.transform(image, mask, 12)[0], drawn)


def test_transforms_draw_independently():
    # albumentations seeds every transform alike; we must not: the contrast
    # factor and the gamma of one view must not be the same number.
    image = np.linspace(0, 1, 32 * 32, dtype=np.float32).reshape(32, 32)
    pipeline = (
        AugmentationPipeline("custom")
        .with_enabled("RandomBrightnessContrast")
        .with_probability("RandomBrightnessContrast", 1.0)
        .with_enabled("RandomGamma")
        .with_probability("RandomGamma", 1.0)
    )
    text = pipeline.apply(image, seed=3).description
    contrast = float(text.split("×")[1].split()[0])
    gamma = float(text.split("gamma ")[1].split()[0])
    assert contrast != pytest.approx(gamma, abs=0.01)


def test_switching_a_transform_on_keeps_the_others_samples():
    image = np.zeros((32, 32), np.float32)
    base = AugmentationPipeline("custom").with_enabled("Rotate").with_probability("Rotate", 1)
    more = base.with_enabled("GaussianBlur").with_probability("GaussianBlur", 1)
    angle = base.apply(image, seed=4).applied[0]
    assert angle in more.apply(image, seed=4).applied


def test_sampled_parameters_are_readable_text():
    image = np.zeros((64, 64), np.float32)
    for name in CATALOG:
        text = only(name).apply(image, seed=1).description
        assert text.startswith(CATALOG[name].label)
    assert "°" in only("Rotate").apply(image, seed=1).description
    assert AugmentationPipeline("custom").apply(image).description == "identity"


def test_yaml_round_trip_is_exact_for_a_seed(tmp_path):
    image = nf.voronoi_grains((96, 96), 8, seed=2).image
    labels = nf.voronoi_grains((96, 96), 8, seed=2).classes
    pipeline = (
        AugmentationPipeline.from_preset("directional")
        .with_enabled("ElasticTransform")
        .with_probability("ElasticTransform", 0.8)
        .with_enabled("GaussNoise")
    )
    path = tmp_path / "pipeline.yaml"
    pipeline.save(path)
    loaded = AugmentationPipeline.load(path)
    assert loaded == pipeline
    for seed in range(4):
        a, b = pipeline.apply(image, labels, seed), loaded.apply(image, labels, seed)
        np.testing.assert_array_equal(a.image, b.image)
        np.testing.assert_array_equal(a.mask, b.mask)


def test_foreign_or_forbidden_yaml_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not a napari-finetune augmentation pipeline"):
        AugmentationPipeline.from_yaml("a: 1\n")
    with pytest.raises(ValueError, match="not valid YAML"):
        AugmentationPipeline.from_yaml("a: [1,\n")
    text = AugmentationPipeline.from_preset("directional").to_yaml()
    tampered = text.replace(
        "name: VerticalFlip\n  enabled: false", "name: VerticalFlip\n  enabled: true"
    )
    assert tampered != text
    with pytest.raises(ForbiddenTransformError, match="thermal gradient"):
        AugmentationPipeline.from_yaml(tampered)


EXPECTED_FORBIDDEN = {
    "equiaxed": set(),
    "directional": {"VerticalFlip", "RandomRotate90", "Rotate"},
    "oriented": {"HorizontalFlip", "VerticalFlip", "RandomRotate90", "Rotate"},
    "ebsd": {
        "HorizontalFlip",
        "VerticalFlip",
        "RandomRotate90",
        "Rotate",
        "RandomBrightnessContrast",
        "RandomGamma",
        "ShotNoise",
        "GaussNoise",
        "GaussianBlur",
    },
    "eels": {"RandomBrightnessContrast", "RandomGamma", "GaussNoise", "ShotNoise"},
    "custom": set(),
}


@pytest.mark.parametrize("preset", list(PRESETS))
def test_each_preset_refuses_exactly_its_forbidden_transforms_with_a_reason(preset):
    pipeline = AugmentationPipeline.from_preset(preset)
    refused = set()
    for name in CATALOG:
        try:
            pipeline.with_enabled(name)
        except ForbiddenTransformError as err:
            refused.add(name)
            assert err.reason and err.reason in str(err)
            assert len(err.reason) > 30  # a physical reason, not a bare "no"
    assert refused == EXPECTED_FORBIDDEN[preset]
    # every legal transform states the symmetry it claims
    for name in PRESETS[preset].allowed:
        assert CATALOG[name].symmetry


def test_named_physics_reasons():
    ebsd = AugmentationPipeline.from_preset("ebsd")
    with pytest.raises(ForbiddenTransformError, match="orientation"):
        ebsd.with_enabled("Rotate")
    eels = AugmentationPipeline.from_preset("eels")
    with pytest.raises(ForbiddenTransformError, match="composition"):
        eels.with_enabled("RandomBrightnessContrast")
    directional = AugmentationPipeline.from_preset("directional")
    assert directional.with_enabled("HorizontalFlip").setting("HorizontalFlip").enabled


def test_a_preset_lets_only_the_offered_ranges_be_set():
    # Affine rotated by 180° would be a top-bottom mirror under a thermal gradient.
    turned = TransformSetting("Affine", True, 1.0, {"rotate": (180, 180)})
    with pytest.raises(ValueError, match=r"Affine: rotate cannot be set under .*only scale"):
        AugmentationPipeline("directional", (turned,))
    sheared = TransformSetting("Affine", False, 1.0, {"shear": (20, 20)})  # even switched off
    with pytest.raises(ValueError, match="'custom' preset"):
        AugmentationPipeline("equiaxed", (sheared,))
    zoom = TransformSetting("Affine", True, 1.0, {"scale": (0.9, 1.1)})
    assert AugmentationPipeline("directional", (zoom,)).setting("Affine").params == {
        "scale": (0.9, 1.1)
    }
    # A top-to-bottom ramp stays brighter at the top under every transform the
    # directional preset allows, at any seed.
    ramp = np.repeat(np.linspace(1, 0, 64, dtype=np.float32)[:, None], 64, 1)
    allowed = [n for n in PRESETS["directional"].allowed if CATALOG[n].geometric]
    pipeline = AugmentationPipeline(
        "directional", tuple(TransformSetting(n, True, 1.0) for n in allowed)
    )
    for seed in range(10):
        out = pipeline.apply(ramp, seed=seed).image
        assert out[8:24, 24:40].mean() > out[40:56, 24:40].mean()
    # custom takes responsibility: anything goes; switching to a checked preset drops it.
    custom = AugmentationPipeline("custom", (turned,))
    assert custom.setting("Affine").params == {"rotate": (180, 180)}
    assert custom.with_preset("directional").setting("Affine").params == {}


def test_ebsd_warps_and_zooms_make_no_colour_the_map_does_not_have():
    left, right = np.array([255, 0, 0], np.uint8), np.array([0, 0, 255], np.uint8)
    columns = np.arange(128)[None, :, None]
    ipf = np.broadcast_to(np.where(columns < 64, left, right), (128, 128, 3)).copy()
    pipeline = AugmentationPipeline.from_preset("ebsd").with_enabled("Affine")
    pipeline = pipeline.with_probability("ElasticTransform", 1.0).with_probability("Affine", 1.0)
    colours = {tuple(c) for c in ipf.reshape(-1, 3)} | {(0, 0, 0)}  # 0: brought-in border
    for seed in range(5):
        out = pipeline.apply(ipf, seed=seed).image
        assert {tuple(c) for c in out.reshape(-1, 3)} <= colours
    # Under equiaxed the same warp blends them (what the ebsd preset prevents).
    blended = only("ElasticTransform").apply(ipf, seed=0).image
    assert not {tuple(c) for c in blended.reshape(-1, 3)} <= colours


def test_eels_allows_nothing_that_moves_the_mean_intensity():
    # A calibrated ramp, dim on the left: the transforms eels allows that touch
    # values keep each column's mean (albumentations' ShotNoise, now refused,
    # lowered the dim columns' by 26-41 %).
    ramp = np.tile(np.linspace(0.05, 1, 64, dtype=np.float32), (64, 1))
    touching = [name for name in PRESETS["eels"].allowed if not CATALOG[name].geometric]
    assert touching == ["GaussianBlur"]
    for name in touching:
        pipeline = AugmentationPipeline("eels", (TransformSetting(name, True, 1.0),))
        for seed in range(3):
            out = pipeline.apply(ramp, seed=seed).image
            assert out[:, 4:16].mean() == pytest.approx(ramp[:, 4:16].mean(), rel=0.01)
    with pytest.raises(ForbiddenTransformError, match=r"lowers the mean of pixels near 0\.1"):
        AugmentationPipeline.from_preset("eels").with_enabled("ShotNoise")


def test_preset_defaults_are_legal_and_switching_preset_drops_illegal_ones():
    for key in PRESETS:
        pipeline = AugmentationPipeline.from_preset(key)
        assert {t.name for t in pipeline.active} == set(PRESETS[key].default_on)
    custom = AugmentationPipeline("custom").with_enabled("Rotate").with_probability("Rotate", 0.9)
    directional = custom.with_preset("directional")
    assert not directional.setting("Rotate").enabled
    assert directional.setting("Rotate").p == 0.9
    with pytest.raises(ValueError, match="unknown"):
        AugmentationPipeline.from_preset("sem")


def test_zoom_scales_what_it_shows_by_the_factor_it_reports():
    # A centred disc: its area changes by the reported factor squared, and a
    # zoomed-out view brings in a border that is unpainted (label 0), never a class.
    yy, xx = np.indices((128, 128))
    disc = ((yy - 63.5) ** 2 + (xx - 63.5) ** 2 < 20**2).astype(np.uint8)
    labels = disc + 1
    seen = set()
    for seed in range(12):
        out = only("Affine").apply(disc.astype(np.float32), labels, seed)
        factor = float(out.description.split("×")[1])
        area = (out.mask == 2).sum() / (labels == 2).sum()
        assert area == pytest.approx(factor**2, rel=0.06)
        if factor < 0.95:
            assert (out.mask[0] == 0).all() and (out.mask[:, -1] == 0).all()
            seen.add("out")
        elif factor > 1.05:
            assert (out.mask > 0).all()
            seen.add("in")
        assert 0.67 - 0.01 <= factor <= 1.5 + 0.01
    assert seen == {"in", "out"}  # both directions drawn
