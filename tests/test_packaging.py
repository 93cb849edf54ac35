import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from npe2 import PluginManifest

ROOT = Path(__file__).resolve().parents[1]


def test_manifest_validates_with_imports():
    npe2 = shutil.which("npe2")
    assert npe2, "npe2 command not on PATH"
    result = subprocess.run(
        [npe2, "validate", "napari-finetune", "--imports"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "valid" in result.stdout


def test_manifest_lists_the_samples_and_widget():
    manifest = PluginManifest.from_distribution("napari-finetune")
    keys = {s.key for s in manifest.contributions.sample_data}
    assert keys == {
        *("equiaxed", "directional", "target_domain", "painted", "nist_steel"),
        *("twins", "second_phases", "tint_etch", "ebsd_ipf", "em_membranes"),
    }
    widgets = {w.display_name for w in manifest.contributions.widgets}
    assert widgets == {
        "Synthetic grains",
        "Augmentation preview",
        "Fine-tune",
        "Measure grains",
        "Feature maps",
    }


def test_top_level_manifest_is_a_link_to_the_packaged_one():
    link = ROOT / "napari.yaml"
    if not link.exists():
        pytest.skip("not running from a source checkout")
    assert link.is_symlink()
    assert link.resolve() == (ROOT / "src" / "napari_finetune" / "napari.yaml").resolve()


@pytest.mark.timeout(300)
def test_wheel_ships_sample_data_and_manifest(tmp_path):
    if not (ROOT / "pyproject.toml").exists():
        pytest.skip("not running from a source checkout")
    pytest.importorskip("hatchling")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    (wheel,) = tmp_path.glob("napari_finetune-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for required in (
        "napari_finetune/napari.yaml",
        "napari_finetune/sample_data/nist_steel/image.png",
        "napari_finetune/sample_data/nist_steel/boundary_label.png",
        "napari_finetune/sample_data/nist_steel/LICENSE-NIST.md",
        "napari_finetune/sample_data/README.md",
        "napari_finetune/models/weights/voronoi-unet.ckpt",
        "napari_finetune/models/weights/world-unet.ckpt",
        "napari_finetune/models/weights/MODEL_CARD.md",
    ):
        assert required in names
