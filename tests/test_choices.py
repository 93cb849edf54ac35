"""The choice lists live in napari_finetune.choices; their old homes re-export the same objects."""

import importlib

import pytest
from npe2 import PluginManifest

from napari_finetune import choices


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("napari_finetune.training.strategies", "STRATEGIES"),
        ("napari_finetune.training.strategies", "BN_MODES"),
        ("napari_finetune.session.options", "STRATEGY_CHOICES"),
        ("napari_finetune.session.options", "BN_CHOICES"),
        ("napari_finetune.session", "STRATEGY_CHOICES"),
        ("napari_finetune.session", "BN_CHOICES"),
        ("napari_finetune.measure.instances", "KINDS"),
        ("napari_finetune.measure.report", "BORDER_RULES"),
        ("napari_finetune.measure", "BORDER_RULES"),
        ("napari_finetune.models.registry", "DEFAULT_MODEL"),
        ("napari_finetune.models", "DEFAULT_MODEL"),
    ],
)
def test_old_homes_hold_the_very_same_objects(module, name):
    assert getattr(importlib.import_module(module), name) is getattr(choices, name)


def test_derived_lists_follow_their_dictionaries():
    assert list(choices.STRATEGIES) == choices.STRATEGY_CHOICES
    assert ["auto", *choices.BN_MODES] == choices.BN_CHOICES
    assert "auto" in choices.KINDS and "half" in choices.BORDER_RULES


def test_the_default_model_is_shipped():
    from napari_finetune.models.registry import REGISTRY

    assert choices.DEFAULT_MODEL in REGISTRY


def test_sample_keys_are_the_manifest_keys():
    manifest = PluginManifest.from_distribution("napari-finetune")
    keys = [s.key for s in manifest.contributions.sample_data]
    assert sorted(choices.SAMPLE_KEYS) == sorted(keys)
    assert len(set(choices.SAMPLE_KEYS)) == len(choices.SAMPLE_KEYS)


def test_the_parser_offers_these_choices():
    from napari_finetune.cli import build_parser

    jobs = build_parser()._subparsers._group_actions[0].choices
    offered = {
        (job, action.dest): action.choices
        for job, parser in jobs.items()
        for action in parser._actions
        if action.choices
    }
    assert offered[("fit", "strategy")] is choices.STRATEGY_CHOICES
    assert offered[("fit", "bn_mode")] is choices.BN_CHOICES
    assert offered[("measure", "kind")] is choices.KINDS
    assert offered[("measure", "border")] is choices.BORDER_RULES
    assert list(offered[("view", "sample")]) == [*choices.SAMPLE_KEYS, "none"]


def test_help_lines_become_sentences_for_tooltips():
    assert choices.as_sentence("the held-out strokes train too") == (
        "The held-out strokes train too."
    )
    assert choices.as_sentence(choices.FOLD_IN).startswith("From the first epoch end")
