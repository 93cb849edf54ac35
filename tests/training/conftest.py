"""Shared fixtures of the training tests."""

import pytest

from napari_finetune.training import reproduce as reproduce_module


@pytest.fixture
def repeat_options(monkeypatch):
    """``repeat_options(model, images, labels)``: the options ``reproduce`` would train with.

    ``fit`` is replaced by one that records its keywords and stops, so nothing trains.
    """

    def repeat(model, images, labels) -> dict:
        seen = {}

        def fake_fit(images, labels, start, **options):
            seen.update(options)
            raise RuntimeError("enough")

        monkeypatch.setattr(reproduce_module, "fit", fake_fit)
        with pytest.raises(RuntimeError, match="enough"):
            reproduce_module.reproduce(model, images, labels)
        return seen

    return repeat
