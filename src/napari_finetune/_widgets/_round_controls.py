"""The Fine-tune dock's round settings: start model, strategy, time budget, advanced ones.

They become the core's :class:`~napari_finetune.session.RoundOptions`. The
strategy the core suggests for what is painted shows until the user picks one;
so does whether to learn from unpainted pixels (on for strokes, whose classes
rarely meet, :mod:`~napari_finetune.training.class_contact`, unless they train a
new output head: another class count than the start model's, or *scratch*).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from magicgui.widgets import CheckBox, ComboBox, FileEdit, SpinBox

from napari_finetune._widgets._controls import wrapping_label
from napari_finetune._widgets._viewer_state import viewer_state
from napari_finetune.augment import PRESETS
from napari_finetune.augment.recorded_preset import suggest_preset
from napari_finetune.choices import ADAPTATION_CHOICES, FOLD_IN, SEMI_SUPERVISED, as_sentence
from napari_finetune.models import DEFAULT_MODEL
from napari_finetune.models.device import device_menu
from napari_finetune.models.model_data import trained_preset
from napari_finetune.models.registry import describe_shipped
from napari_finetune.session import (
    BN_CHOICES,
    CURRENT,
    START_CHOICES,
    STRATEGY_CHOICES,
    RoundOptions,
    StartClasses,
    SuggestionOptions,
    start_classes,
    suggest_strategy,
)
from napari_finetune.training.class_contact import AUTO, Contact, suggest_pseudo_labels
from napari_finetune.training.objectives import describe_adaptation
from napari_finetune.training.strategies import STRATEGIES

if TYPE_CHECKING:
    import napari

    from napari_finetune.models.model import SegmentationModel

FROM_PREVIEW = "from Augmentation preview"
MODEL_PRESET = "The preset the current model trained with (pick another to override)."
FROM_FILE = "file"
SOURCES = [*START_CHOICES[:-1], ("checkpoint file…", FROM_FILE), START_CHOICES[-1]]
# The controls by name, as the dock (and the scripts driving it) reach them.
NAMES = (
    "source",
    "checkpoint",
    "strategy",
    "strategy_info",
    "bn_mode",
    "adaptation",
    "adaptation_info",
    "semi_supervised",
    "semi_supervised_info",
    "fold_in",
    "seconds",
    "steps",
    "augmentation",
    "augmentation_info",
    "seed",
    "device",
)


class RoundControls:
    """What the next round starts from, how it trains and for how long.

    Not a container: the dock places the widgets in its groups.

    Parameters
    ----------
    viewer : napari.viewer.Viewer
        Whose Augmentation preview pipeline can be chosen.
    """

    def __init__(self, viewer: napari.viewer.Viewer) -> None:
        self._viewer = viewer
        self.chosen_by_user = False  # the strategy: then no longer suggested
        self.semi_chosen_by_user = False  # likewise, learning from unpainted pixels
        # The start model's classes (loaded when the start changes), so that strokes
        # training a new head are not suggested pseudo-labels.
        self._start = StartClasses(None, None)
        self.source = ComboBox(choices=SOURCES, value=DEFAULT_MODEL, label="start from")
        self.source.tooltip = describe_shipped()
        self.checkpoint = FileEdit(mode="r", filter="*.ckpt", label="checkpoint", visible=False)
        self.strategy = ComboBox(choices=STRATEGY_CHOICES, value="finetune", label="strategy")
        self.strategy_info = wrapping_label()
        self.bn_mode = ComboBox(choices=BN_CHOICES, label="BatchNorm")
        self.adaptation = ComboBox(choices=ADAPTATION_CHOICES, value="none", label="adaptation")
        self.adaptation_info = wrapping_label(describe_adaptation("none"))
        self.semi_supervised = CheckBox(value=False, text="learn from unpainted pixels")
        self.semi_supervised.tooltip = as_sentence(SEMI_SUPERVISED)
        self.semi_supervised_info = wrapping_label(suggest_pseudo_labels([]).explanation)
        self.semi_supervised.changed.connect(self._on_semi_supervised)
        self.fold_in = CheckBox(value=True, text="held-out strokes train at the end")
        self.fold_in.tooltip = as_sentence(FOLD_IN)
        self.seconds = SpinBox(value=60, min=2, max=86_400, label="time budget (s)")
        self.steps = SpinBox(value=0, min=0, max=10_000_000, label="or steps (0: time)")
        self.augmentation = ComboBox(choices=self._augmentation_choices, label="augmentation")
        self.augmentation_info = wrapping_label()
        self.augmentation_chosen_by_user = False  # else the images' recorded preset is taken
        self._recorded: str | None = None  # the recorded preset this dock chose, if any
        self._model_preset: str | None = None  # the preset the current model trained with
        self.augmentation.changed.connect(
            lambda _value: setattr(self, "augmentation_chosen_by_user", True)
        )
        self.seed = SpinBox(value=0, min=0, max=2**31 - 1, label="seed")
        self.device = ComboBox(choices=device_menu(), value="auto", label="device")
        self.device.tooltip = (
            "Where training and prediction run. auto takes a CUDA GPU, else Apple's "
            "MPS, else the CPU; only the devices this computer has are listed."
        )
        self.source.changed.connect(lambda s: setattr(self.checkpoint, "visible", s == FROM_FILE))
        self.strategy.changed.connect(self._on_strategy)
        self.adaptation.changed.connect(
            lambda name: setattr(self.adaptation_info, "value", describe_adaptation(name))
        )

    def _augmentation_choices(self, _widget: object = None) -> list:
        presets = [(f"{p.title} preset", key) for key, p in PRESETS.items()]
        shared = [(FROM_PREVIEW, FROM_PREVIEW)] if viewer_state(self._viewer).augmentation else []
        return [*shared, *presets, ("none", "none")]

    def _on_strategy(self, strategy: str) -> None:
        self.chosen_by_user = True
        self.strategy_info.value = STRATEGIES[strategy]

    def choose_pseudo_labels(self, on: bool) -> None:
        """Set *learn from unpainted pixels* as the user's choice (as a click would).

        Parameters
        ----------
        on : bool
            Whether the next rounds learn from pseudo-labels on unpainted pixels.
        """
        with self.semi_supervised.changed.blocked():
            self.semi_supervised.value = on
        self._on_semi_supervised(on)

    def _on_semi_supervised(self, on: bool) -> None:
        self.semi_chosen_by_user = True
        said = (
            "on: pseudo-labels on unpainted pixels teach too" if on else "off: only paint teaches"
        )
        self.semi_supervised_info.value = as_sentence(f"{said} (your choice)")

    def show_advice(
        self,
        painted_pixels: int,
        painted: list | Contact,
        presets: Mapping[str, str | None] | None = None,
    ) -> None:
        """Show the core's suggestions for what is painted, each until the user picks.

        ``painted_pixels`` decides the strategy; the labels ``painted`` (or
        their :class:`Contact`) whether unpainted pixels teach too; ``presets``
        (image name -> the preset it records) the augmentation.
        """
        if not self.augmentation_chosen_by_user:
            advice = suggest_preset(presets or {})
            shared = viewer_state(self._viewer).augmentation
            # The preview's pipeline stays when it is for the recorded modality.
            previewed = self.augmentation.value == FROM_PREVIEW and shared is not None
            if advice.preset is not None and not (previewed and shared.preset == advice.preset):
                with self.augmentation.changed.blocked():
                    self.augmentation.value = advice.preset
            elif advice.preset is None and self.augmentation.value == self._recorded:
                # The image that recorded it is no longer trained on: back to the default.
                with self.augmentation.changed.blocked():
                    self.augmentation.value = self._model_preset or self.augmentation.choices[0]
            self._recorded = advice.preset
            explanation = advice.explanation
            if not explanation and self.augmentation.value == self._model_preset:
                explanation = MODEL_PRESET
            self.augmentation_info.value = explanation
            self.augmentation_info.visible = bool(explanation)
        if not self.semi_chosen_by_user:
            pseudo = suggest_pseudo_labels(painted, self.start_classes)
            with self.semi_supervised.changed.blocked():
                self.semi_supervised.value = pseudo.on
            self.semi_supervised_info.value = pseudo.explanation
        if self.chosen_by_user:
            return
        advice = suggest_strategy(painted_pixels)
        with self.strategy.changed.blocked():
            self.strategy.value = advice.strategy
        self.strategy_info.value = advice.explanation

    def warm_start(self, model: SegmentationModel) -> None:
        """Start the next rounds from ``model``, under the preset it trained with.

        Unless the user picked an augmentation or an image records one: a model
        trained under 'ebsd' or 'directional' must not be retrained with the
        flips and turns of the default.
        """
        self.source.value = CURRENT
        preset = trained_preset(model)
        self._model_preset = preset if preset in PRESETS else None
        if self._model_preset and not (self.augmentation_chosen_by_user or self._recorded):
            with self.augmentation.changed.blocked():
                self.augmentation.value = self._model_preset
            self.augmentation_info.value = MODEL_PRESET
            self.augmentation_info.visible = True

    def know_start(self, current: SegmentationModel | None) -> dict[int, str] | None:
        """The class names of the start chosen now (None: not known yet); notes its head.

        ``current`` is the session's model (for *current model*). One load of
        the start model, on the GUI thread as the start changes.
        """
        self._start = start_classes(self.start(), current)
        return self._start.names

    @property
    def start_classes(self) -> int | None:
        """The head's class count a round starts from (0 under *scratch*; None: not known)."""
        return self._start.head_under(self.strategy.value)

    def start(self) -> str | Path:
        """The start model chosen: a shipped name, ``'scratch'``, ``'current'`` or a file."""
        source = self.source.value
        return Path(self.checkpoint.value) if source == FROM_FILE else source

    def options(
        self, seconds: float | None, suggestions: SuggestionOptions | None
    ) -> RoundOptions:
        """The round the controls describe; ``seconds`` overrides the budget (a retrain)."""
        augmentation = self.augmentation.value
        if augmentation == FROM_PREVIEW:
            augmentation = viewer_state(self._viewer).augmentation
        return RoundOptions(
            start=self.start(),
            strategy=self.strategy.value if self.chosen_by_user else None,
            bn_mode=self.bn_mode.value,
            max_seconds=float(seconds or self.seconds.value),
            # A retrain round has a time budget of its own, whatever the step count says.
            steps=None if seconds else self.steps.value or None,
            augmentation=None if augmentation == "none" else augmentation,
            seed=self.seed.value,
            suggestions=suggestions,
            device=self.device.value,
            adaptation=self.adaptation.value,
            semi_supervised=self.semi_supervised.value if self.semi_chosen_by_user else AUTO,
            fold_in=self.fold_in.value,
        )
