"""``fit`` with the levers and ``pretrain --world [--regions]`` reach the core."""

import numpy as np
import pytest
import tifffile

from napari_finetune import cli


class Captured(Exception):
    """Raised with what the job handed to the core."""


@pytest.fixture
def files(tmp_path):
    tifffile.imwrite(tmp_path / "image.tif", np.zeros((32, 32), np.float32))
    tifffile.imwrite(tmp_path / "painted.tif", np.ones((32, 32), np.uint8))
    tifffile.imwrite(tmp_path / "more.tif", np.zeros((40, 48), np.float32))
    return tmp_path


def test_fit_hands_the_levers_and_the_unlabelled_images_to_the_round(files, monkeypatch):
    from napari_finetune.session import LabellingSession

    def train_round(session, options):
        raise Captured(session, options)

    monkeypatch.setattr(LabellingSession, "train_round", train_round)
    with pytest.raises(Captured) as caught:
        cli.main(
            [
                *("fit", "--images", str(files / "image.tif")),
                *("--labels", str(files / "painted.tif")),
                *("--adaptation", "l2sp+dann", "--semi-supervised"),
                *("--unlabelled", str(files / "more.tif")),
                *("--output", str(files / "model.ckpt")),
            ]
        )
    session, options = caught.value.args
    assert options.adaptation == "l2sp+dann" and options.semi_supervised is True
    assert options.fold_in is True  # the default
    unpainted = [p for p in session.pairs if not p.painted_pixels]
    assert [p.image.shape for p in unpainted] == [(40, 48)]
    assert unpainted[0].labels.shape == (40, 48)  # nothing painted on it


def test_no_fold_in_keeps_the_held_out_strokes_out_of_training(files, monkeypatch):
    from napari_finetune.session import LabellingSession

    def train_round(session, options):
        raise Captured(options)

    monkeypatch.setattr(LabellingSession, "train_round", train_round)
    with pytest.raises(Captured) as caught:
        cli.main(
            [
                *("fit", "--images", str(files / "image.tif")),
                *("--labels", str(files / "painted.tif"), "--no-fold-in"),
                *("--output", str(files / "model.ckpt")),
            ]
        )
    assert caught.value.args[0].fold_in is False


def test_an_unknown_adaptation_is_refused_by_the_parser(files, capsys):
    with pytest.raises(SystemExit):
        cli.main(["fit", "--images", "a.tif", "--labels", "b.tif", "--adaptation", "coral"])
    assert "invalid choice: 'coral'" in capsys.readouterr().err


def test_a_missing_unlabelled_file_is_named_before_work(files, capsys):
    code = cli.main(
        [
            *("fit", "--images", str(files / "image.tif")),
            *("--labels", str(files / "painted.tif")),
            *("--unlabelled", str(files / "gone.tif")),
            *("--output", str(files / "model.ckpt")),
        ]
    )
    assert code == 2 and "gone.tif" in capsys.readouterr().err


def test_pretrain_world_asks_for_the_wider_world(files, monkeypatch):
    import napari_finetune.training.pretrain as pre

    def pretrain(**kwargs):
        raise Captured(kwargs)

    monkeypatch.setattr(pre, "pretrain", pretrain)
    with pytest.raises(Captured) as caught:
        cli.main(["pretrain", "--world", "--output", str(files / "w.ckpt")])
    assert caught.value.args[0]["world"] is True
    assert caught.value.args[0]["regions"] is False
    assert caught.value.args[0]["workers"] is None and caught.value.args[0]["batch_size"] == 8
    with pytest.raises(Captured) as caught:
        cli.main(
            [
                *("pretrain", "--world", "--workers", "6", "--batch-size", "32"),
                *("--output", str(files / "g.ckpt")),
            ]
        )
    assert caught.value.args[0]["workers"] == 6 and caught.value.args[0]["batch_size"] == 32
    with pytest.raises(Captured) as caught:
        cli.main(["pretrain", "--world", "--regions", "--output", str(files / "r.ckpt")])
    assert caught.value.args[0]["regions"] is True


@pytest.mark.parametrize(
    ("option", "default"),
    [
        ((), "voronoi-unet.ckpt"),
        (("--world",), "world-unet.ckpt"),
        (("--world", "--regions"), "world-regions-unet.ckpt"),
    ],
)
def test_pretrain_writes_by_default_the_shipped_name_it_makes(
    files, monkeypatch, capsys, option, default
):
    # An existing file of that name is refused before any training starts.
    monkeypatch.chdir(files)
    (files / default).write_bytes(b"mine")
    assert cli.main(["pretrain", *option]) != 0
    said = capsys.readouterr().err
    assert default in said and "already exists" in said
    assert (files / default).read_bytes() == b"mine"


def test_pretrain_regions_without_the_world_is_refused(files, capsys, monkeypatch):
    code = cli.main(["pretrain", "--regions", "--output", str(files / "r.ckpt")])
    assert code == 2 and "--regions needs --world" in capsys.readouterr().err
    assert not (files / "r.ckpt").exists()
    # Said so even where the default output name is taken already.
    monkeypatch.chdir(files)
    (files / "world-regions-unet.ckpt").write_bytes(b"mine")
    assert cli.main(["pretrain", "--regions"]) == 2
    assert "--regions needs --world" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "said"),
    [
        (("--batch-size", "0"), "--batch-size must be 1 or more, not 0"),
        (("--workers", "-2"), "--workers must be 0 or more, not -2"),
    ],
)
def test_pretrain_names_the_option_it_refuses(files, capsys, option, said):
    code = cli.main(["pretrain", *option, "--output", str(files / "p.ckpt")])
    assert code == 2 and said in capsys.readouterr().err
    assert not (files / "p.ckpt").exists()


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ((), "auto"),
        (("--semi-supervised",), True),
        (("--semi-supervised", "on"), True),
        (("--semi-supervised", "off"), False),
        (("--unlabelled", "more.tif"), True),  # images to learn from ask for it
        (("--semi-supervised", "off", "--unlabelled", "more.tif"), False),
    ],
)
def test_fit_pseudo_labels_are_auto_unless_said(files, monkeypatch, flags, expected):
    from napari_finetune.session import LabellingSession

    def train_round(session, options):
        raise Captured(options)

    monkeypatch.setattr(LabellingSession, "train_round", train_round)
    flags = [str(files / f) if f.endswith(".tif") else f for f in flags]
    with pytest.raises(Captured) as caught:
        cli.main(
            [
                *("fit", "--images", str(files / "image.tif")),
                *("--labels", str(files / "painted.tif"), *flags),
                *("--output", str(files / "model.ckpt")),
            ]
        )
    assert caught.value.args[0].semi_supervised == expected


def test_fit_and_compare_hand_the_class_names_on_and_refuse_unreadable_ones(
    files, monkeypatch, capsys
):
    from napari_finetune.session import LabellingSession
    from napari_finetune.training import advisor

    def train_round(session, options):
        raise Captured(options)

    def compare_strategies(*args, **kwargs):
        raise Captured(kwargs)

    monkeypatch.setattr(LabellingSession, "train_round", train_round)
    monkeypatch.setattr(advisor, "compare_strategies", compare_strategies)
    data = ["--images", str(files / "image.tif"), "--labels", str(files / "painted.tif")]
    with pytest.raises(Captured) as caught:
        cli.main(["fit", *data, "--classes", "matrix, γ′", "--output", str(files / "m.ckpt")])
    assert caught.value.args[0].class_names == {1: "matrix", 2: "γ′"}
    with pytest.raises(Captured) as caught:
        cli.main(["compare", *data, "--classes", "matrix, γ′"])
    assert caught.value.args[0]["class_names"] == {1: "matrix", 2: "γ′"}
    assert cli.main(["fit", *data, "--classes", "a,,b", "--output", str(files / "m.ckpt")]) == 2
    assert "class 2 has no name" in capsys.readouterr().err
