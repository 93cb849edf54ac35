"""Where the Fine-tune dock's controls go: titled groups in a scroll area.

Training data · Model & strategy · Run · Active learning · Results, top to
bottom, in the order of the user's loop; the status line stays below them, in
view. Controls a first round does not need (BatchNorm, step count,
augmentation, seed; how suggestions are ranked) fold away. The dock scrolls
instead of growing past the screen: napari's window then fits a 1366 × 768
laptop with every plugin dock tabified.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from magicgui.widgets import Container

from napari_finetune._widgets._controls import (
    align_forms,
    button_row,
    fold,
    form,
    scroll_area,
    section,
)

if TYPE_CHECKING:
    from napari_finetune._widgets.fine_tune_dock import FineTuneWidget


def arrange(dock: FineTuneWidget) -> Container:
    """Place the dock's controls in their groups; returns the scrolled content."""
    body = Container(labels=False)
    data = section(
        "Training data",
        dock.pairs,
        *dock.data_bar.widgets,  # under the rows: which image still has its data bar
        *dock.thin_class.widgets,  # and which class is painted far less than the others
        form(dock.pairs.class_names),
        button_row(dock.pairs.new_painting, dock.pairs.add_pair),
        button_row(dock.autosave.restore),
        *dock.autosave.widgets,
    )
    model = section(
        "Model & strategy",
        form(dock.source, dock.checkpoint, dock.strategy),
        dock.strategy_info,
        button_row(dock.advisor.button),
        dock.model_info,
    )
    # The adaptation levers stay in view: their explanation changes with the choice,
    # and a fold keeps the height its content had when it opened.
    run = section(
        "Run",
        form(dock.seconds, dock.device, dock.adaptation),
        dock.adaptation_info,
        dock.semi_supervised,
        dock.semi_supervised_info,
    )
    advanced = form(
        dock.bn_mode,
        dock.steps,
        dock.augmentation,
        dock.augmentation_info,
        dock.seed,
        dock.fold_in,
    )
    fold(run, "Advanced", advanced)
    run.append(button_row(dock.train, dock.stop))
    run.native.layout().addWidget(dock.plot)
    results = section("Results", *dock.files.widgets)
    body.extend([data, model, run, _active_learning(dock), results])
    align_forms(body)
    scroll_area(dock, body)
    # Below the scroll area: what Fine-tune, Predict or Save just did is always in view.
    dock.append(dock.status)
    dock.status.native.setStyleSheet("border-top: 1px solid #5a626c; padding: 4px 8px;")
    # Room for two wrapped lines: an ignored width policy keeps the layout from
    # asking the label how tall its wrapped text is, and the second line was cut.
    lines = dock.status.native.fontMetrics().lineSpacing()
    dock.status.native.setMinimumHeight(2 * lines + 10)
    return body


def _active_learning(dock: FineTuneWidget) -> Container:
    panel = dock.active
    settings = [panel.method, panel.n, panel.size, panel.typical, panel.spread, panel.seek_thin]
    known = {id(w) for w in settings}
    # The switch first, then how suggestions are ranked (folded), then the rest; a line of
    # text spans the dock's width, as the other groups' explanations do.
    first, *rest = [
        w if isinstance(w, Container) or w is panel.sought else form(w)
        for w in panel.widgets
        if id(w) not in known
    ]
    group = section("Active learning", first)
    fold(group, "Suggestion settings", form(*settings))
    group.extend(rest)
    group.native.layout().addWidget(panel.plot)
    return group
