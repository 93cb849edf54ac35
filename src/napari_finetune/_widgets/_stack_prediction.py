"""*Predict* on a deep stack: plane by plane, the plane in view first, with progress and Stop.

The core decides which stacks go this way
(:func:`~napari_finetune.session.lazy_rule.is_deep_stack`) and predicts them
(:func:`~napari_finetune.session.deep_stack_prediction.predict_stack`); this module runs
that generator in a napari worker, shows each plane's labels as they come (the
whole stack's probabilities are never held) and counts planes in napari's
progress bar. While it runs, the *Predict* button reads *Stop prediction*; a
stopped run keeps the planes done.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from napari.layers import Image
from napari.qt.threading import create_worker
from napari.utils.notifications import show_info

from napari_finetune._widgets._layers import finest, plane_in_view
from napari_finetune._widgets._predict_job import PredictJob
from napari_finetune.data.channel_axis import sliceable
from napari_finetune.session import Prediction, predicted
from napari_finetune.session.deep_stack_prediction import PlanesPredicted, predict_stack
from napari_finetune.session.lazy_rule import check_plane_fits, goes_plane_by_plane, stack_lead

if TYPE_CHECKING:
    import napari
    from magicgui.widgets import Label, PushButton

    from napari_finetune.models import SegmentationModel


class StackPrediction(PredictJob):
    """Plane-by-plane *Predict* for deep stacks, with its progress bar and Stop.

    Parameters
    ----------
    viewer : napari.viewer.Viewer
        Whose plane in view goes first and whose status bar shows the progress.
    status : Label
        The dock's status line.
    report : callable
        Reports an error to the user.
    button : PushButton
        The dock's *Predict* button: it reads *Stop prediction* while a run goes on.
    show : callable
        Shows one plane's :class:`~napari_finetune.session.Prediction` as layers:
        ``show(prediction, model)``.
    """

    def __init__(
        self,
        viewer: napari.viewer.Viewer,
        status: Label,
        report: Callable[[BaseException], None],
        button: PushButton,
        show: Callable[[Prediction, SegmentationModel | None], None],
    ) -> None:
        super().__init__(viewer, status, report, button)
        self._show = show
        self._name, self._total, self._done = "", 0, 0
        self._current = self._views = self._stopping = self._complete = self._failed = False

    @staticmethod
    def takes(layer: object) -> bool:
        """Whether *Predict* goes plane by plane on this layer (the core's rule)."""
        return isinstance(layer, Image) and goes_plane_by_plane(
            tuple(layer.data.shape), layer.multiscale, layer.rgb
        )

    def start(
        self,
        layer: Image,
        model: SegmentationModel | str,
        current: bool,
        *,
        device: str | None = None,
        average_views: bool = False,
    ) -> None:
        """Predict every plane of ``layer`` in a worker, the one in view first.

        Parameters
        ----------
        layer : Image
            The stack to predict on; only read, a plane at a time.
        model : SegmentationModel or str
            The model, or a name or file the worker loads.
        current : bool
            Whether it is the session's current model (for the status words).
        device : str, optional
            Where the network runs.
        average_views : bool
            Average over the model's flipped and rotated views.
        """
        if self.running:
            return
        try:  # a stack of 30k² planes: one plane is already too large to read whole
            check_plane_fits(tuple(layer.data.shape), "predict", rgb=layer.rgb)
        except ValueError as err:
            self._report(ValueError(f"Layer '{layer.name}': {err}"))
            return
        # A z-stack napari-ome-zarr opened keeps its time axis of 1: (1, planes, rows, cols).
        lead = stack_lead(tuple(layer.data.shape), layer.rgb)
        stack = sliceable(finest(layer))[(0,) * lead] if lead else finest(layer)
        self._name, self._total, self._done = layer.name, int(stack.shape[0]), 0
        self._current, self._views = current, average_views
        self._stopping = self._complete = self._failed = False
        plane = plane_in_view(layer, self._viewer)[lead]
        self.status.value = (
            f"Predicting '{self._name}' plane by plane ({self._total} planes, "
            f"plane {plane} first)…"
        )
        worker = create_worker(
            predict_stack,
            model,
            stack,  # a multiscale stack's full resolution, read a plane at a time
            layer.name,
            plane,
            device=device,
            average_views=average_views,
            _start_thread=False,
            _ignore_errors=True,
        )
        self._launch(worker, self._total)

    def stop(self) -> None:
        """End the run after the plane being predicted; the planes done stay shown."""
        if self.running:
            self._stopping = True
            self._worker.quit()
            self.button.enabled = False  # until the worker has ended
            self.status.value = f"Stopping the prediction of '{self._name}' after this plane…"

    # -- events (GUI thread) ---------------------------------------------------------

    def _on_event(self, event: object) -> None:
        if isinstance(event, Prediction):
            self._show(event, None)
            self._done += 1
            said = (
                f"Predicting '{self._name}': plane {event.plane} done, "
                f"{self._done} of {self._total}…"
            )
            if not self._stopping:
                self.status.value = said
            bar = self._progress  # napari's bar may process Qt events: touched last
            if bar is not None:
                bar.describe(said)
                bar.update(self._done, self._total)
        elif isinstance(event, PlanesPredicted):
            self._complete = True
            self.status.value = (
                f"{predicted(self._name, event.model, self._current, self._views)} "
                f"{event.describe()}"
            )
            show_info(self.status.value)

    def _on_error(self, err: BaseException) -> None:
        self._failed = True
        self._report(err)

    def _on_finished(self) -> None:
        if not self._complete and not self._failed:
            self.status.value = (
                f"Stopped the prediction of '{self._name}' after {self._done} of its "
                f"{self._total} planes: those are shown; Predict again to do every plane."
            )
        self._release()

    def _done_so_far(self) -> int:
        return self._done
