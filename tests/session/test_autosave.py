"""Autosave of painted labels: throttled, atomic, checked, pruned, never clashing."""

import json
import os

import numpy as np
import pytest

from napari_finetune.session import AutosaveEntry, PaintingAutosave, autosave_files
from napari_finetune.session.autosave import FOLDER_VARIABLE, default_folder


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def painting(shape=(64, 80), dtype=np.uint8, seed=0):
    labels = np.zeros(shape, dtype)
    rng = np.random.default_rng(seed)
    labels[rng.random(shape) < 0.05] = 1
    labels[rng.random(shape) < 0.02] = 2
    return labels


def files_under(folder):
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def clock():
    return FakeClock()


def test_writes_at_most_every_interval_and_only_when_changed(tmp_path, clock):
    saver = PaintingAutosave(tmp_path, min_interval=30, clock=clock)
    labels = painting()
    first = saver.save("grains painted", labels, image_name="grains", scale=(0.5, 0.5))
    assert first is not None and first.painted_pixels == np.count_nonzero(labels)
    assert first.image_name == "grains" and first.scale == (0.5, 0.5)
    labels[0, :10] = 2
    clock.now += 10
    assert not saver.due("grains painted")
    assert saver.save("grains painted", labels) is None  # too soon
    clock.now += 25
    assert saver.due("grains painted")
    second = saver.save("grains painted", labels)
    assert second is not None and second.path != first.path
    clock.now += 60
    assert saver.save("grains painted", labels) is None  # unchanged
    assert len(saver.saved()) == 2


def test_forced_save_ignores_the_interval_but_not_an_unchanged_painting(tmp_path, clock):
    saver = PaintingAutosave(tmp_path, min_interval=30, clock=clock)
    labels = painting()
    assert saver.save("a", labels) is not None
    labels[5, 5] = 2
    assert saver.save("a", labels) is None
    assert saver.save("a", labels, force=True) is not None
    assert saver.save("a", labels, force=True) is None
    # a renamed legend is a change (a restore must show the new names); the same again is not
    assert saver.save("a", labels, force=True, class_names={1: "ferrite"}) is not None
    assert saver.save("a", labels, force=True, class_names={1: "ferrite"}) is None


def test_saved_paintings_load_back_exactly_newest_first(tmp_path, clock):
    saver = PaintingAutosave(tmp_path, min_interval=0, clock=clock)
    flat = painting()
    stack = painting((3, 20, 30), np.int32, seed=1)
    single = painting((1, 16, 3), np.uint16, seed=2)  # a trailing 3 is not RGB here
    for name, data in [("flat", flat), ("stack", stack), ("single", single)]:
        flat_only = name == "flat"
        saver.save(
            name,
            data,
            units=("µm", "µm") if flat_only else None,
            class_names={1: "matrix", 2: "γ′"} if flat_only else None,
        )
    entries = saver.saved()
    assert [e.layer_name for e in entries] == ["single", "stack", "flat"]
    for entry, data in zip(entries, [single, stack, flat], strict=True):
        restored = saver.load(entry)
        assert restored.dtype == data.dtype and restored.shape == data.shape
        np.testing.assert_array_equal(restored, data)
    assert entries[-1].units == ("µm", "µm")
    assert entries[-1].class_names == {1: "matrix", 2: "γ′"}  # keys read back as numbers
    assert entries[0].class_names is None
    assert "flat" in entries[-1].describe() and "64 × 80" in entries[-1].describe()


def test_a_failing_writer_leaves_the_previous_file(tmp_path, clock, monkeypatch):
    saver = PaintingAutosave(tmp_path, min_interval=0, clock=clock)
    labels = painting()
    saver.save("a", labels)
    before = files_under(tmp_path)

    def crash_halfway(path, data):
        path.write_bytes(b"II*\0half a tiff")
        raise OSError("disk full")

    monkeypatch.setattr(autosave_files, "write_painting", crash_halfway)
    labels[1, 1] = 2
    with pytest.raises(OSError, match="disk full"):
        saver.save("a", labels)
    assert files_under(tmp_path) == before  # no partial file, no sidecar
    (entry,) = saver.saved()
    np.testing.assert_array_equal(saver.load(entry), painting())
    monkeypatch.undo()
    assert saver.save("a", labels) is not None  # the failed content is retried


def test_a_damaged_file_is_refused_with_a_clear_message(tmp_path, clock):
    saver = PaintingAutosave(tmp_path, min_interval=0, clock=clock)
    entry = saver.save("a", painting((256, 256)))
    data = bytearray(entry.path.read_bytes())
    data[-200:] = bytes(200)  # zero the end of the compressed strips
    entry.path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"damaged|cannot be read"):
        saver.load(entry)
    entry.path.write_bytes(b"not a tiff at all")
    with pytest.raises(ValueError, match="cannot be read"):
        saver.load(entry)


def test_checksum_mismatch_says_damaged(tmp_path, clock):
    saver = PaintingAutosave(tmp_path, min_interval=0, clock=clock)
    entry = saver.save("a", painting())
    autosave_files.write_painting(entry.path, painting(seed=5))  # valid TIFF, other content
    with pytest.raises(ValueError, match=r"damaged.*checksum"):
        saver.load(entry)


def test_listing_skips_garbage_and_half_written_entries(tmp_path, clock):
    saver = PaintingAutosave(tmp_path, min_interval=0, clock=clock)
    good = saver.save("good", painting())
    session = saver.session_folder
    (session / "broken.json").write_text("{not json")
    (session / "foreign.json").write_text(json.dumps({"format": "something else"}))
    orphan = json.loads(good.path.with_suffix(".json").read_text())
    (session / "orphan.json").write_text(json.dumps(orphan))  # no TIFF beside it
    (session / "missing-fields.json").write_text(json.dumps({"format": orphan["format"]}))
    (session / "lonely.tif").write_bytes(b"tiff without sidecar")
    (tmp_path / "not-a-session").mkdir()
    (tmp_path / "not-a-session" / "x.json").write_text(json.dumps(orphan))
    (tmp_path / "stray.txt").write_text("user file")
    assert [e.path for e in saver.saved()] == [good.path]


def test_two_instances_in_one_folder_never_clash(tmp_path, clock):
    one = PaintingAutosave(tmp_path, min_interval=0, clock=clock)
    two = PaintingAutosave(tmp_path, min_interval=0, clock=clock)
    assert one.session_folder != two.session_folder
    a, b = painting(seed=1), painting(seed=2)
    entry_one, entry_two = one.save("labels", a), two.save("labels", b)
    assert entry_one.path.parent != entry_two.path.parent
    assert {e.path for e in one.saved()} == {entry_one.path, entry_two.path}
    np.testing.assert_array_equal(one.load(entry_one), a)
    np.testing.assert_array_equal(two.load(entry_two), b)


def test_odd_layer_names_stay_inside_the_session_folder(tmp_path, clock):
    saver = PaintingAutosave(tmp_path / "autosave", min_interval=0, clock=clock)
    for name in ["../../escape", "a/b", "a_b", "..", "名前 ✓"]:
        entry = saver.save(name, painting())
        assert entry.path.parent == saver.session_folder and entry.layer_name == name
    assert len({e.path for e in saver.saved()}) == 5
    assert all(p.parts[0] == "autosave" for p in files_under(tmp_path))


def test_old_versions_and_old_sessions_are_pruned_never_the_current(tmp_path, clock):
    old = []
    for i in range(4):
        saver = PaintingAutosave(tmp_path, min_interval=0, keep_sessions=10, clock=clock)
        saver.save("a", painting(seed=i))
        old.append(saver.session_folder)
    (old[0] / "user notes.txt").write_text("kept: not ours")
    for i, session in enumerate(old):  # session i was last active at time i
        for path in session.iterdir():
            os.utime(path, (i, i))
    current = PaintingAutosave(tmp_path, min_interval=0, keep_sessions=3, keep_versions=2)
    for seed in range(4):
        current.save("a", painting(seed=10 + seed))
    remaining = {p for p in tmp_path.iterdir() if p.is_dir()}
    # The two newest earlier sessions and the current one; the oldest keeps only the user's file.
    assert remaining == {old[0], old[2], old[3], current.session_folder}
    assert [p.name for p in old[0].iterdir()] == ["user notes.txt"]
    assert not old[1].exists()
    mine = [e for e in current.saved() if e.path.parent == current.session_folder]
    assert len(mine) == 2  # keep_versions
    np.testing.assert_array_equal(current.load(mine[0]), painting(seed=13))


def test_default_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv(FOLDER_VARIABLE, str(tmp_path / "here"))
    assert default_folder() == tmp_path / "here"
    assert PaintingAutosave().folder == tmp_path / "here"
    monkeypatch.delenv(FOLDER_VARIABLE)
    assert default_folder().name == "autosave"
    assert "napari-finetune" in str(default_folder())


def test_entry_is_exported():
    assert AutosaveEntry.__name__ == "AutosaveEntry"


def test_tests_never_autosave_into_the_user_folder():
    assert os.environ[FOLDER_VARIABLE] and "pytest" in os.environ[FOLDER_VARIABLE]


def test_versions_are_thinned_over_time_and_the_fullest_is_kept(tmp_path, clock):
    # A change saved every 30 s for 2 hours, each save thinning what the last kept.
    saver = PaintingAutosave(tmp_path, min_interval=30, keep_versions=5, clock=clock)
    fullest = None
    for k in range(241):
        labels = painting(seed=k)
        if k == 20:  # then, at minute 10, an accidental erase of most of it
            labels[:] = 1
            fullest = labels.copy()
        saver.save("layer", labels, layer_name="grains painted")
        clock.now += 30
    now = clock.now - 30
    kept = saver._files["layer"]
    ages = sorted(now - v.when for v in kept)
    assert ages[:5] == [0.0, 30.0, 60.0, 90.0, 120.0]  # the newest five
    for low, high in ((60, 300), (300, 900), (900, 3600), (3600, float("inf"))):
        assert any(low <= age < high for age in ages), (low, high)  # history at every age
    assert max(ages) >= 7000  # the first hour's versions too
    assert len(kept) <= 20 and len(list(saver.session_folder.glob("*.tif"))) == len(kept)
    # The fullest version (before the erase) is kept however old.
    restored = [saver.load(e) for e in saver.saved() if e.painted_pixels == fullest.size]
    assert restored and np.array_equal(restored[0], fullest)


def test_a_new_layer_with_a_removed_ones_name_never_prunes_its_versions(tmp_path, clock):
    saver = PaintingAutosave(tmp_path, min_interval=0, keep_versions=2, clock=clock)
    removed = saver.save("layer-1", painting(seed=1), layer_name="img painted", force=True)
    for seed in range(2, 8):  # the new layer of the same name, saved again and again
        clock.now += 1
        saver.save("layer-2", painting(seed=seed), layer_name="img painted")
    assert removed.path.is_file() and removed.layer_name == "img painted"
    np.testing.assert_array_equal(saver.load(removed), painting(seed=1))


def test_a_recent_session_outlives_the_count(tmp_path, clock):
    earlier = []
    for i in range(4):
        saver = PaintingAutosave(tmp_path, min_interval=0, clock=clock)
        saver.save("a", painting(seed=i))
        earlier.append(saver.session_folder)
    # Four sessions, room for two: all of them active today, so none goes.
    current = PaintingAutosave(tmp_path, min_interval=0, keep_sessions=2, clock=clock)
    current.save("a", painting(seed=9))
    assert all(session.exists() for session in earlier)


def test_versions_of_one_minute_read_apart_in_a_chooser(tmp_path):
    # Older days showed minutes only: three versions of 09:15 read alike and the
    # chooser restored the first whichever the user picked.
    from datetime import datetime, timedelta

    minute = (datetime.now() - timedelta(days=3)).replace(hour=9, minute=15, second=0)

    def entry(second, pixels=100):
        at = minute.replace(second=second, microsecond=0).timestamp()
        return AutosaveEntry(
            tmp_path / f"{second}.tif",
            "grains painted",
            "grains",
            (64, 64),
            "uint8",
            pixels,
            at,
            "0",
        )

    entries = [entry(40), entry(12), entry(12)]  # the last two in one second
    lines = AutosaveEntry.describe_all(entries)
    assert lines[0].startswith(f"{minute:%Y-%m-%d} 09:15:40 · grains painted")
    assert lines[1].startswith(f"{minute:%Y-%m-%d} 09:15:12 · ")
    assert lines[2] == f"{lines[1]} (2)"
    assert len(set(lines)) == 3
