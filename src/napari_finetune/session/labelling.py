"""One labelling session: painted images, the current model, rounds, suggestions.

The active-learning loop of the plugin, with no Qt: the Fine-tune dock, the
CLI and ``benchmarks/bench_active_learning.py`` all drive this class, so what
is measured is what ships. A round is a generator of events (the engine's
:class:`~napari_finetune.training.events.Started`, ``Step``, ``EpochEnd``,
``Finished``, then :class:`Prediction`, :class:`Suggestions` and a closing
:class:`RoundFinished`). Stop = the consumer stops asking and closes it: the
session then keeps the best model of the interrupted round.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from functools import partial

from napari_finetune.data.unpainted import unpainted_images
from napari_finetune.inference.predict import predict
from napari_finetune.inference.thin_class_emphasis import favoured_classes
from napari_finetune.inference.views import views_for
from napari_finetune.inference.views_advice import resolve_average_views
from napari_finetune.models.model import SegmentationModel
from napari_finetune.session.deep_stack_prediction import final_planes
from napari_finetune.session.deep_stacks import training_inputs
from napari_finetune.session.events import Prediction, RankedBox, RoundFinished, Suggestions
from napari_finetune.session.options import RoundOptions, SuggestionOptions, suggestion_seed
from napari_finetune.session.pair_names import check_one_kind, naming, naming_images
from napari_finetune.session.pairs import Pair, read_pairs
from napari_finetune.session.policy import StrategyAdvice, resolve_start, suggest_strategy
from napari_finetune.session.previews import LivePreviews
from napari_finetune.session.suggesting import suggestions_for
from napari_finetune.training.class_contact import Contact, resolve_semi_supervised
from napari_finetune.training.engine import finetune
from napari_finetune.training.events import EpochEnd, Finished, Started, Step
from napari_finetune.training.history import Round, rounds

# How the last round ended (:attr:`LabellingSession.outcome`).
ROUND_FINISHED = "finished"  # ran to its end: the session's model is the round's
ROUND_STOPPED = "stopped"  # stopped after a validated epoch: the round's best so far
PREVIOUS_KEPT = "kept previous"  # failed or stopped too early: the model is unchanged


class LabellingSession:
    """Painted images and the model trained on them, round after round.

    Parameters
    ----------
    pairs : iterable of Pair
        The images and their painted labels.
    model : SegmentationModel, optional
        A current model to continue from (e.g. a loaded checkpoint).
    """

    def __init__(self, pairs: Iterable[Pair] = (), model: SegmentationModel | None = None) -> None:
        self.pairs: list[Pair] = []
        self.model = model
        self.suggestions: list[Suggestions] = []
        self.outcome: str | None = None  # ROUND_FINISHED, ROUND_STOPPED or PREVIOUS_KEPT
        self.set_pairs(pairs)

    def set_pairs(self, pairs: Iterable[Pair]) -> None:
        """Replace the images and labels (e.g. after the user painted more).

        Raises
        ------
        ValueError
            If two pairs share a name (results are named after the image).
        """
        pairs = list(pairs)
        names = [p.name for p in pairs]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"image '{twice[0]}' is chosen twice: pick each image once.")
        self.pairs = pairs

    @property
    def painted_pixels(self) -> int:
        """Painted pixels over all images."""
        return sum(p.painted_pixels for p in self.pairs)

    def advice(self) -> StrategyAdvice:
        """The strategy suggested for what is painted now."""
        return suggest_strategy(self.painted_pixels)

    def rounds(self) -> list[Round]:
        """The rounds curve of the current model: one summary per training round."""
        if self.model is None:
            return []
        return rounds(self.model.history, self.model.provenance)

    def last_round(self) -> Round | None:
        """The summary of the last round, if it handed back its model (finished or stopped).

        None when no round ran, or the last one kept the previous model (it
        failed, or was stopped before any epoch was validated). A model set since
        (loaded, say) is summarised as it is: call it when the round ends.
        """
        if self.outcome not in (ROUND_FINISHED, ROUND_STOPPED):
            return None
        return self.rounds()[-1]

    # -- a round -------------------------------------------------------------------

    def train_round(self, options: RoundOptions | None = None) -> Iterator[object]:
        """Train one round on the painted images, yielding events.

        Trains on the pairs with painted pixels (in order); previews, final
        predictions and suggestions cover every pair. When the generator is
        closed early, the session's model becomes the best of the round so far,
        unless no epoch was validated yet: then, as after an error, the previous
        model stays (see :attr:`outcome`). Lazy images (:meth:`Pair.read`) are
        read when the first event is asked for, in the thread that asks, not here.

        Parameters
        ----------
        options : RoundOptions, optional
            What to start from, how long, and what to compute afterwards.

        Yields
        ------
        object
            Engine events, :class:`Prediction`, :class:`Suggestions` (one per
            pair) and a last :class:`RoundFinished`.

        Raises
        ------
        ValueError
            Nothing painted, bad options, or ``start='current'`` without a model
            (raised before anything is yielded).
        """
        options = options or RoundOptions()
        painted = [p for p in self.pairs if p.painted_pixels]
        if not painted:
            raise ValueError(
                "no painted pixels: paint at least two classes (e.g. 1 = grain interior, "
                "2 = boundary) before training."
            )
        names = [p.name for p in painted]
        check_one_kind(names, [p.image for p in painted], [p.labels for p in painted])
        strategy = options.strategy or self.advice().strategy
        # The session's unpainted images teach too when the painting gets pseudo-labels
        # (judged only when there are some: the engine judges the painting again).
        contact = Contact([p.labels for p in painted])  # read at most once for both 'auto's
        unpainted = bool(self._unpainted_images()) and resolve_semi_supervised(
            options.semi_supervised, contact
        )
        start, strategy = resolve_start(options.start, self.model, strategy)
        # 'auto' views follow the painting too (views_advice.py): decided once, here, and
        # only for a round that predicts (reading the painting costs a pass over it).
        views = options.final_predictions and resolve_average_views(options.average_views, contact)
        options = replace(options, average_views=views)
        run = partial(
            finetune,
            model=start,
            strategy=strategy,
            bn_mode=options.bn_mode,
            max_seconds=options.max_seconds,
            steps=options.steps,
            augmentation=options.augmentation,
            seed=options.seed,
            device=options.device,
            adaptation=options.adaptation,
            semi_supervised=options.semi_supervised,
            fold_in=options.fold_in,
            class_names=options.class_names,
        )
        return self._round(run, names, unpainted, options)

    def _unpainted_images(self) -> list | None:
        """The session's images nobody painted yet, of the painted ones' kind (grey or colour)."""
        pairs = self.pairs
        counts = [p.painted_pixels for p in pairs]
        return unpainted_images([p.image for p in pairs], [p.labels for p in pairs], counts)

    def _round(
        self, run: Callable, names: list[str], unpainted: bool, options: RoundOptions
    ) -> Iterator[object]:
        # Boxes of an earlier model must not outlive it (nor show after a round without them).
        self.suggestions = []
        # Here, in the thread that runs the round (the dock's worker), lazy images are
        # read, once: training, previews, predictions and suggestions all use that read.
        self.outcome = PREVIOUS_KEPT  # should a read fail, or Stop come first
        self.pairs = yield from read_pairs(self.pairs)
        painted = [p for p in self.pairs if p.name in names]  # names are unique
        images, labels = yield from training_inputs(painted)  # a deep stack's painted planes
        self.outcome = None
        extra = self._unpainted_images() if unpainted else None
        events = naming_images(run(images, labels, unlabelled=extra), names)
        previews = LivePreviews(self.pairs if options.live_previews else [])
        trained, finished, judged, failed = None, None, False, False
        try:
            for event in events:
                if isinstance(event, Started):
                    trained = event.model
                judged = judged or isinstance(event, EpochEnd)
                yield event
                if isinstance(event, Finished):
                    finished = event
                    break
                if isinstance(event, Step) and previews.due():
                    yield previews.preview(trained)
        except Exception:
            failed = True
            raise
        finally:
            # Stop: closing the engine restores the best weights into the model.
            events.close()
            # Rollback: a round that failed, or was stopped before any epoch was
            # validated, has nothing better than the previous model to offer.
            if trained is not None and judged and not failed:
                self.model = trained
                self.outcome = ROUND_FINISHED if finished is not None else ROUND_STOPPED
            else:
                self.outcome = PREVIOUS_KEPT
        if finished is None:
            return
        if options.final_predictions:
            views = len(views_for(self.model, options.average_views))
            for pair in self.pairs:
                if pair.deep:  # its painted planes and the one in view, a plane at a time
                    yield from final_planes(self.model, pair, options.average_views)
                    continue
                with naming(pair.name):
                    probabilities = predict(
                        self.model, pair.image, average_views=options.average_views
                    )
                names = dict(self.model.classes)
                yield Prediction(pair.name, probabilities, True, views=views, classes=names)
        if options.suggestions is not None:
            yield from self.suggest(options.suggestions)
        yield RoundFinished(self.model, finished, self.rounds(), self.ranking())

    def run_round(self, options: RoundOptions | None = None) -> RoundFinished:
        """Blocking form of :meth:`train_round`: the closing event."""
        result = None
        for event in self.train_round(options):
            if isinstance(event, RoundFinished):
                result = event
        return result

    # -- where to paint next ---------------------------------------------------------

    def suggest(self, options: SuggestionOptions | None = None) -> Iterator[Suggestions]:
        """Uncertainty map and ranked boxes of the current model, for every pair.

        Each pair's map covers its plane in view; boxes never touch painted
        pixels. The results are also kept in :attr:`suggestions`.

        Raises
        ------
        ValueError
            When there is no model yet.
        """
        if self.model is None:
            raise ValueError("There is no model yet: train or load one first.")
        options = options or SuggestionOptions()
        self.suggestions = []
        round_number = len(self.rounds())
        # The classes painted thinly over all images: boxes seek where the model sees them.
        weight = options.thin_class_weight
        favoured = favoured_classes([pair.labels for pair in self.pairs]) if weight else []
        for index, pair in enumerate(self.pairs):
            seed = (
                None
                if options.seed is None
                else suggestion_seed(options.seed, round_number, index)
            )
            with naming(pair.name):
                found = suggestions_for(self.model, pair, options, seed, favoured)
            self.suggestions.append(found)
            yield found

    def ranking(self, n: int | None = None) -> list[RankedBox]:
        """The boxes of the last suggestions over all images, best first (at most ``n``)."""
        boxes = [
            RankedBox(found.target, box, score, found.plane)
            for found in self.suggestions
            for box, score in zip(found.boxes, found.scores, strict=True)
        ]
        boxes.sort(key=lambda b: b.score, reverse=True)
        return boxes if n is None else boxes[:n]
