"""*Predict* on an image larger than memory: band by band into a Zarr store, shown as it fills.

The core decides which layers go this way and where their store goes
(:mod:`napari_finetune.session.lazy_layers`) and runs the prediction as a
generator of events (:mod:`napari_finetune.session.lazy_run`); this module
drives that generator in a napari worker and shows its events. The result
layers' data are the store's own arrays, full resolution first (napari's
multiscale layers read only the tiles in view, at the level the zoom needs),
so neither the image nor its result is ever held whole in memory. They appear
after the first band and are refreshed as bands complete: the user watches
the labels fill from the top. While the run goes on, the *Predict* button reads
*Stop prediction*: the store then keeps the finished bands, marked incomplete.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from napari.layers import Image, Labels
from napari.qt.threading import create_worker
from napari.utils.notifications import show_info

from napari_finetune._widgets._layers import finest, output_metadata, output_named
from napari_finetune._widgets._predict_job import PredictJob
from napari_finetune._widgets._result_layers import (
    painted_colours,
    placement,
    prediction_style,
)
from napari_finetune._widgets._uncertainty_layer import overlay_colormap
from napari_finetune.inference.lazy_events import BandDone
from napari_finetune.session import lazy_layers as words
from napari_finetune.session import predicted
from napari_finetune.session.lazy_layers import is_lazy, plan_lazy_prediction
from napari_finetune.session.lazy_run import LazyPredicted, StoreOpened, predict_lazily
from napari_finetune.session.result_style import AVOID_RECORDED, uncertainty_style

if TYPE_CHECKING:
    import napari
    from magicgui.widgets import Label, PushButton

    from napari_finetune.models import SegmentationModel

# The result layers re-read their view at most this often: each refresh reads the
# visible tiles and the whole coarsest level from disk in the GUI thread.
REFRESH_SECONDS = 1.0


def _plane_placement(layer: Image) -> dict:
    """The image's scale, offset and units on its last two axes, as plain lists."""
    where = placement(layer, 2)
    return {
        "scale": [float(v) for v in where["scale"]],
        "translate": [float(v) for v in where["translate"]],
        "units": [str(u) for u in where["units"]],
    }


class LazyPrediction(PredictJob):
    """Band-by-band *Predict* for lazy image layers, with its progress bar and Stop.

    Parameters
    ----------
    viewer : napari.viewer.Viewer
        Where the result layers go and whose status bar shows the progress.
    status : Label
        The dock's status line.
    report : callable
        Reports an error to the user.
    button : PushButton
        The dock's *Predict* button: it reads *Stop prediction* while a run goes on.
    labels_of : callable, optional
        The labels layer painted on an image (by name): the prediction's colours
        are chosen unlike its colours.
    """

    def __init__(
        self,
        viewer: napari.viewer.Viewer,
        status: Label,
        report: Callable[[BaseException], None],
        button: PushButton,
        labels_of: Callable[[str], Labels | None] | None = None,
    ) -> None:
        super().__init__(viewer, status, report, button)
        self._labels_of = labels_of or (lambda _name: None)
        self._plan = self._target = None
        self._stop_asked = threading.Event()
        self._shown: list[tuple[object, list]] = []  # (layer, its levels) to refresh
        self._bands = self._rows_done = 0
        self._last_refresh, self._complete = 0.0, False
        self._current, self._colormap, self._views = False, None, False

    @staticmethod
    def takes(layer: object) -> bool:
        """Whether *Predict* goes band by band on this layer (the core's rule)."""
        return isinstance(layer, Image) and is_lazy(finest(layer), layer.multiscale, layer.rgb)

    def start(
        self, layer: Image, model: SegmentationModel | str, current: bool, **options: object
    ) -> None:
        """Plan the store (a refusal is shown at once), then predict in a worker.

        Parameters
        ----------
        layer : Image
            The image layer to predict on; only read.
        model : SegmentationModel or str
            The model, or a name or file the worker loads.
        current : bool
            Whether it is the session's current model (for the status words).
        **options
            Passed to :func:`~napari_finetune.session.lazy_run.predict_lazily`.
        """
        if self.running:
            return
        try:
            plan = plan_lazy_prediction(
                layer.name,
                finest(layer),
                rgb=layer.rgb,
                source=layer.source.path,
                placement=_plane_placement(layer),
            )
        except (ValueError, OSError) as err:  # e.g. a prediction folder that cannot be made
            self._report(err)
            return
        painted = self._labels_of(layer.name)
        self._plan, self._target, self._current = plan, layer, current
        self._views = bool(options.get("average_views", False))  # said when done
        self._colormap = painted.colormap if painted is not None else None
        self._stop_asked = threading.Event()
        self._shown, self._bands, self._rows_done, self._complete = [], 0, 0, False
        self._last_refresh = 0.0
        self.status.value = words.started(plan)
        worker = create_worker(
            predict_lazily,
            model,
            plan,
            self._stop_asked,
            contrast_limits=tuple(layer.contrast_limits),
            rgb=layer.rgb,
            avoid_colours=painted_colours(self._colormap, AVOID_RECORDED),
            **options,
            _start_thread=False,
            _ignore_errors=True,
        )
        self._launch(worker, plan.bands)

    def stop(self) -> None:
        """End the run after the band being predicted; the store keeps what is done."""
        if self.running:
            self._stop_asked.set()
            self.button.enabled = False  # until the worker has let go of the store
            self.status.value = f"Stopping the prediction of '{self._plan.layer}' after this band…"

    # -- events (GUI thread) ---------------------------------------------------------

    def _on_event(self, event: object) -> None:
        plan = self._plan
        if isinstance(event, StoreOpened):
            self._show(event)
        elif isinstance(event, BandDone):
            self._bands += 1
            self._rows_done = event.rows_done
            said = words.progress(plan, self._bands, event.time_left)
            if not self._stop_asked.is_set():
                self.status.value = said
            now = time.monotonic()
            if now - self._last_refresh >= REFRESH_SECONDS:
                self._last_refresh = now
                self._refresh()
            # napari's bar processes Qt events as it moves (later events may be
            # handled inside these calls): the bar is touched last, held locally.
            bar = self._progress
            if bar is not None:
                bar.describe(said)
                bar.update(self._bands, plan.bands)
        elif isinstance(event, LazyPredicted):
            self._complete = True
            self._refresh()
            unsure = output_named(self._viewer, f"{plan.layer} uncertainty", Image)
            if unsure is not None and event.display_max is not None:
                unsure.contrast_limits = (0.0, event.display_max)
            said = predicted(plan.layer, event.model, self._current, self._views)
            self.status.value = words.finished(plan, said)
            show_info(self.status.value)

    def _show(self, event: StoreOpened) -> None:
        """Add ``<image> prediction`` (and ``<image> uncertainty``) on the store's arrays."""
        plan, target, model = self._plan, self._target, event.model
        styling, meta = prediction_style(model.classes, model.n_classes, self._colormap)
        meta["napari_finetune"]["store"] = str(event.location)
        meta["napari_finetune"]["views"] = event.views
        labels = self._replace(
            f"{plan.layer} prediction",
            Labels,
            lambda data, **kw: self._viewer.add_labels(data, **kw),
            event.labels,
            opacity=0.4,
            metadata=meta,
            **placement(target, event.labels[0].ndim),
            **styling,
        )
        self._shown = [(labels, event.labels)]
        if event.uncertainty is not None:
            style = uncertainty_style(event.brightness)
            unsure_meta = output_metadata("uncertainty")
            unsure_meta["napari_finetune"]["store"] = str(event.location)
            unsure = self._replace(
                f"{plan.layer} uncertainty",
                Image,
                lambda data, **kw: self._viewer.add_image(data, **kw),
                event.uncertainty,
                colormap=overlay_colormap(style),
                contrast_limits=(0.0, event.display_max),
                opacity=style.opacity,
                blending=style.blending,
                # Shown on request, as the probabilities of an in-memory Predict.
                visible=False,
                metadata=unsure_meta,
                **placement(target, event.uncertainty[0].ndim),
            )
            self._shown.append((unsure, event.uncertainty))
        # The hidden map, added last, would be the layer whose controls napari shows.
        self._viewer.layers.selection.active = labels

    def _replace(self, name: str, kind: type, add: Callable, levels: list, **kwargs) -> object:
        """A new layer on ``levels`` (multiscale when more than one), replacing the last result."""
        old = output_named(self._viewer, name, kind)
        if old is not None:  # a former result of this image (in memory, or another store)
            self._viewer.layers.remove(old)
        data = levels if len(levels) > 1 else levels[0]
        return add(data, name=name, multiscale=len(levels) > 1, **kwargs)

    def _refresh(self) -> None:
        """Re-read what is in view of every result layer still in the viewer.

        Setting the data again (the same arrays) is what makes napari drop the
        coarsest level it keeps in memory for a multiscale layer.
        """
        for layer, levels in self._shown:
            if layer in self._viewer.layers:
                layer.data = levels if len(levels) > 1 else levels[0]

    def _done_so_far(self) -> int:
        return self._bands

    def _on_finished(self) -> None:
        plan = self._plan
        if self._stop_asked.is_set() and not self._complete:
            self.status.value = words.stopped(plan, self._bands, self._rows_done)
            self._refresh()  # the bands done since the last refresh
        self._release()

    def _stop_unseen(self, worker: object) -> None:
        self._stop_asked.set()  # the run ends after its current band
