from pathlib import Path

from napari_finetune.batch import status
from napari_finetune.batch.events import FileDone, FileFailed, FolderStarted


def test_the_status_line_counts_files_and_failures():
    done = FileDone(Path("a.tif"), (), 1.0, 3, 50, 40.0)
    failed = FileFailed(Path("b.tif"), "b.tif cannot be read", 4, 50, 200.0)
    assert status.file_handled(done, 1) == "Folder: 3/50 files, 1 failed, 40 s left"
    assert status.file_handled(failed, 2) == (
        "Folder: 4/50 files, 2 failed (b.tif: b.tif cannot be read), 3 min left"
    )
    assert status.progress(done) == "Folder: 3/50 files, 40 s left"
    assert status.time_left(0) == "done"


def test_start_and_stop_say_what_happens_to_done_files():
    started = FolderStarted(total=5, to_do=3, skipped=2, output_dir=Path("out"))
    line = status.started(started, status.model_words("voronoi-unet", current=False))
    assert line == (
        "Folder: predicting 3 of 5 images with voronoi-unet (not fine-tuned on your "
        "painting yet) (2 skipped: their outputs exist)…"
    )
    nothing = FolderStarted(total=2, to_do=0, skipped=2, output_dir=Path("out"))
    assert "nothing to predict" in status.started(nothing, "the current model")
    assert status.model_words(Path("/m/grains.ckpt"), current=False).startswith("grains.ckpt ")
    stopped = status.stopped(3, 1, 10)
    assert stopped.startswith("Folder run stopped: 2 of 10 images done, 1 failed.")
