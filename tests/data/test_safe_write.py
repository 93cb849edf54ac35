import os

import numpy as np
import pytest
import tifffile

from napari_finetune.data import safe_write
from napari_finetune.data.io import write_image
from napari_finetune.data.safe_write import (
    atomic_write,
    check_writable_file,
    check_writable_folder,
)

# Root may write anywhere: chmod cannot make a folder read-only for it.
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def test_atomic_write_replaces_the_file_when_the_block_succeeds(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with atomic_write(target) as temporary:
        assert temporary.parent == tmp_path and temporary.suffix == ".txt"
        assert temporary != target
        temporary.write_text("new")
        assert target.read_text() == "old"  # not yet: only once the block is done
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_atomic_write_leaves_the_old_file_when_the_block_raises(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="disk full"), atomic_write(target) as temporary:
        temporary.write_text("half of a new fi")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]  # no temporary left


def test_atomic_write_creates_missing_folders(tmp_path):
    target = tmp_path / "missing" / "dir" / "out.txt"
    with atomic_write(target) as temporary:
        temporary.write_text("new")
    assert target.read_text() == "new"


def test_write_image_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "labels.tif"
    write_image(target, np.ones((4, 4), np.uint8))

    def half_written(path, data, **options):
        with open(path, "wb") as file:
            file.write(b"II*\0")  # a TIFF header, then the writer dies
        raise OSError("No space left on device")

    monkeypatch.setattr(tifffile, "imwrite", half_written)
    with pytest.raises(OSError, match="No space"):
        write_image(target, np.zeros((4, 4), np.uint8))
    monkeypatch.undo()
    assert (tifffile.imread(target) == 1).all()
    assert [p.name for p in tmp_path.iterdir()] == ["labels.tif"]


def test_atomic_write_through_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path):
    (tmp_path / "models").mkdir()
    target = tmp_path / "models" / "grains-v1.ckpt"
    target.write_text("old")
    link = tmp_path / "grains.ckpt"
    link.symlink_to(target)
    with atomic_write(link) as temporary:
        assert temporary.parent == target.parent  # the rename stays in one folder
        temporary.write_text("new")
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grains.ckpt", "models"]
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["grains-v1.ckpt"]


def test_atomic_write_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    target = tmp_path / "shared.ckpt"
    target.write_text("old")
    target.chmod(0o660)
    umask = os.umask(0o022)  # a new file gets 0o644, whatever this machine's umask
    try:
        with atomic_write(target) as temporary:
            temporary.write_text("new")
    finally:
        os.umask(umask)
    assert target.read_text() == "new"
    assert target.stat().st_mode & 0o777 == 0o660


def test_write_image_keeps_an_ome_tiff_an_ome_tiff(tmp_path):
    for name in ("x.ome.tif", "y.OME.TIFF"):
        write_image(tmp_path / name, np.ones((4, 5), np.uint8))
        with tifffile.TiffFile(tmp_path / name) as tif:
            assert tif.is_ome, name
    with atomic_write(tmp_path / "grains.ome.tif") as temporary:
        assert temporary.name.startswith(".grains.") and temporary.name.endswith(".ome.tif")
        temporary.write_text("")
    with atomic_write(tmp_path / "v1.5.ckpt") as temporary:  # a dot in the name: one suffix
        assert temporary.name.startswith(".v1.5.") and temporary.name.endswith(".partial.ckpt")
        temporary.write_text("")


def test_write_report_is_atomic(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    from napari_finetune.report import write_report

    image = np.random.default_rng(0).random((16, 16))
    labels = np.zeros((16, 16), np.uint8)
    history = [{"epoch": 0, "train_loss": 1.0}]
    report = tmp_path / "report"  # no suffix: still a PNG, under exactly this name
    write_report(report, image, labels, labels, history, "first")
    assert report.read_bytes().startswith(b"\x89PNG")
    first = report.read_bytes()

    def dies(self, path, **kwargs):
        with open(path, "wb") as file:
            file.write(b"\x89PNG")
        raise OSError("No space left on device")

    monkeypatch.setattr(Figure, "savefig", dies)
    with pytest.raises(OSError, match="No space"):
        write_report(report, image, labels, labels, history, "second")
    assert report.read_bytes() == first
    assert [p.name for p in tmp_path.iterdir()] == ["report"]


def test_check_writable_file_accepts_new_files_in_missing_folders(tmp_path):
    assert check_writable_file(tmp_path / "a" / "b" / "x.png") == tmp_path / "a" / "b" / "x.png"
    (tmp_path / "old.png").write_bytes(b"")
    assert check_writable_file(str(tmp_path / "old.png")) == tmp_path / "old.png"


def test_check_writable_file_refuses_a_folder(tmp_path):
    with pytest.raises(ValueError, match=r"--output .* is a folder: give a file name"):
        check_writable_file(tmp_path, "--output")


def test_check_writable_file_refuses_a_path_through_a_file(tmp_path):
    (tmp_path / "notes.txt").write_text("")
    with pytest.raises(ValueError, match=r"notes.txt is a file, not a folder"):
        check_writable_file(tmp_path / "notes.txt" / "sub" / "x.ckpt")


@pytest.mark.skipif(AS_ROOT, reason="root writes into read-only folders")
def test_check_writable_file_refuses_a_read_only_folder(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(ValueError, match="locked is not writable"):
            check_writable_file(folder / "x.ckpt")
        with pytest.raises(ValueError, match="locked is not writable"):
            check_writable_folder(folder / "predictions")
    finally:
        folder.chmod(0o755)


def test_check_writable_file_refuses_where_access_is_denied(tmp_path, monkeypatch):
    # The read-only case as root sees it too: the check asks os.access.
    folder = tmp_path / "locked"
    folder.mkdir()
    real_access = os.access
    monkeypatch.setattr(
        safe_write.os,
        "access",
        lambda path, mode: False if str(path) == str(folder) else real_access(path, mode),
    )
    with pytest.raises(ValueError, match="locked is not writable"):
        check_writable_file(folder / "x.ckpt")
    with pytest.raises(ValueError, match="locked is not writable"):
        check_writable_folder(folder)


def test_check_writable_folder(tmp_path):
    assert check_writable_folder(tmp_path / "new" / "folder") == tmp_path / "new" / "folder"
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        check_writable_folder(tmp_path / "file")
    with pytest.raises(ValueError, match=r"cannot be made: .* is a file"):
        check_writable_folder(tmp_path / "file" / "sub")
