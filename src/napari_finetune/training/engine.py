"""The training engine: fine-tuning from painted labels, as a generator of events.

``finetune`` yields :class:`Preparing` events, a :class:`Started` event, one
:class:`Step` per batch, an :class:`EpochEnd` per epoch and a final
:class:`Finished`. The consumer may stop between any two yields and close the
generator: the model named in ``Started`` then holds the weights the keep-best
rule kept so far. ``fit`` is the blocking form. The pieces live next door in
``training/``: schedules, run_clock, epoch_end, keep_best, fold_in, validation,
strategies, start, provenance.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import torch

from napari_finetune.augment import AugmentationPipeline
from napari_finetune.data.painted import as_pairs
from napari_finetune.data.patches import PatchSampler
from napari_finetune.models.class_names import check_class_names
from napari_finetune.models.device import DEFAULT_DEVICE, resolve_device, training_autocast_dtype
from napari_finetune.models.model import SegmentationModel
from napari_finetune.models.registry import DEFAULT_MODEL
from napari_finetune.training import strategies as st
from napari_finetune.training.arguments import BATCH_SIZE, check_training_arguments
from napari_finetune.training.epoch_end import EpochEnds
from napari_finetune.training.events import EpochEnd, Finished, Started, Step
from napari_finetune.training.keep_best import KeepBest
from napari_finetune.training.objectives import parse_adaptation
from napari_finetune.training.provenance import finish_record, run_record
from napari_finetune.training.run_clock import RunClock
from napari_finetune.training.run_setup import set_up_run
from napari_finetune.training.schedules import check_schedule, set_learning_rates
from napari_finetune.training.start import device_of
from napari_finetune.training.step import train_step
from napari_finetune.training.threads import threads_for_run

STEPS_PER_EPOCH = 25
# Smallest patch side: twice the shipped U-Net's 16-px pooling cell.
MIN_PATCH = 32


def finetune(
    images: object,
    labels: object,
    model: SegmentationModel | str | Path | None = DEFAULT_MODEL,
    *,
    strategy: str = "finetune",
    bn_mode: str = "auto",
    max_seconds: float | None = 60.0,
    steps: int | None = None,
    batch_size: int = BATCH_SIZE,
    patch_size: int | None = None,
    augmentation: AugmentationPipeline | str | None = "equiaxed",
    schedule: str = "onecycle",
    validation_fraction: float = 0.2,
    patience: int = 8,
    seed: int = 0,
    device: str | torch.device | None = DEFAULT_DEVICE,
    held_out: object = None,
    adaptation: str = "none",
    semi_supervised: bool | str = "auto",
    unlabelled: object = None,
    fold_in: bool = True,
    class_names: Mapping[int, str] | None = None,
) -> Iterator[Started | Step | EpochEnd | Finished]:
    """Fine-tune a segmentation model on sparse painted labels, yielding events.

    Parameters
    ----------
    images, labels : array or list of arrays
        Images (2D grey, RGB or 3D stacks) and their painted labels
        (0 = unpainted, 1..K = classes).
    model : SegmentationModel, str or Path, optional
        Start point: a model (warm start; it is copied, never modified), a
        shipped name or a checkpoint file. Ignored by ``strategy='scratch'``.
    strategy : {'finetune', 'head', 'gradual', 'scratch'}
        Transfer-learning strategy (see :mod:`napari_finetune.training.strategies`).
    bn_mode : {'auto', 'frozen', 'adapt', 'adabn'}
        BatchNorm handling; ``'auto'`` is ``'adapt'`` from scratch, else ``'adabn'``.
    max_seconds : float, optional
        Time budget; the schedule follows elapsed time, and the run uses fewer
        CPU threads when other programs keep cores busy (training/threads.py).
    steps : int, optional
        Exact number of steps instead (bitwise reproducible: threads as torch's).
    batch_size, patch_size : int
        Patches per step and their side (default 16 of 64², 128² for a deeper network;
        a side must be a multiple of the pooling cell, 16 px for the shipped U-Net).
    augmentation : AugmentationPipeline, str or None
        A pipeline, a preset name, a YAML file, or None for no augmentation.
    schedule : {'onecycle', 'cosine'}
        Learning-rate schedule.
    validation_fraction, patience : float, int
        Share of painted pixels held out by group (0 = none); epochs without a
        better validation score or loss before stopping early (with ``fold_in``
        after a last stretch: :mod:`~napari_finetune.training.run_clock`).
    seed : int
        Seed of everything random.
    device : str or torch.device, optional
        Where to train: ``'auto'`` (a CUDA GPU, else Apple MPS, else the CPU), ``'cpu'``,
        ``'cuda'``, ``'cuda:N'`` or ``'mps'`` (models/device.py); the model stays there.
        On CUDA the forward pass runs in bfloat16 autocast where the GPU has it.
    held_out : array or list of arrays, optional
        Boolean masks shaped like ``labels``: the painted pixels to validate on
        instead of a split by ``validation_fraction`` (which is then ignored).
        For comparisons that must score every run on the same pixels
        (:mod:`napari_finetune.training.advisor`).
    adaptation : str
        Levers beside BatchNorm (:data:`~napari_finetune.choices.ADAPTATIONS`):
        ``'none'``, ``'l2sp'`` (pull pretrained weights toward their start),
        ``'mmd'`` or ``'dann'`` (align features with synthetic images), or a
        ``+`` join such as ``'l2sp+mmd'`` (:mod:`~napari_finetune.training.objectives`).
    semi_supervised : bool or 'auto'
        Also learn from a mean teacher's pseudo-labels on unpainted pixels (training/
        unlabelled.py); ``'auto'``: for strokes on the start model's own head (class_contact.py).
    unlabelled : array or list of arrays, optional
        Extra images nobody painted, when pseudo-labels are on (the painted images'
        unpainted pixels always are; 'auto' may leave them off). Stacks give 32 sampled
        planes at most; the images must have the painted images' channels.
    fold_in : bool
        Let the held-out pixels train too from the first epoch end at or past 60 % of the
        run, from the weights keep-best holds (training/fold_in.py), or at an earlier early
        stop; ignored with ``held_out``, which must stay unseen.
    class_names : dict, optional
        Painted value -> name (``{1: 'matrix', 2: 'γ′'}``); others keep the start model's
        (models/class_names.py). A name with 'boundary', 'membrane', … validates as thin.

    Yields
    ------
    Preparing, Started, Step, EpochEnd, Finished
        Progress events (``Preparing`` once the inputs were checked, ``Step`` every batch).
    """
    st.check_choice(strategy, st.STRATEGIES, "strategy")
    if bn_mode == "auto":
        bn_mode = "adapt" if strategy == "scratch" else "adabn"
    st.check_choice(bn_mode, st.BN_MODES, "bn_mode")
    check_schedule(schedule)
    parse_adaptation(adaptation)  # an unknown lever is said before any work
    class_names = check_class_names(class_names) if class_names else None
    arguments = {
        "max_seconds": max_seconds,
        "steps": steps,
        "batch_size": batch_size,
        "patch_size": patch_size,
        "validation_fraction": validation_fraction,
        "patience": patience,
    }
    check_training_arguments(**arguments, min_patch=MIN_PATCH, seed=seed)
    device = resolve_device(device)  # a missing GPU is said before any work
    autocast_dtype = training_autocast_dtype(device)

    torch.manual_seed(seed)
    setup = yield from set_up_run(
        images,
        labels,
        model,
        strategy=strategy,
        bn_mode=bn_mode,
        arguments=arguments,
        augmentation=augmentation,
        seed=seed,
        device=device,
        held_out=held_out,
        adaptation=adaptation,
        semi_supervised=semi_supervised,
        unlabelled=unlabelled,
        class_names=class_names,
    )
    trained, planes, split, net = setup.trained, setup.planes, setup.split, setup.net
    optimizer, base_lrs, frozen = setup.optimizer, setup.base_lrs, setup.frozen

    run = 1 + max((h.get("run", 0) for h in trained.history), default=0)
    # Everything that shapes the run, so that it can be repeated (training/reproduce.py).
    augmentation_yaml = None if setup.pipeline is None else setup.pipeline.to_yaml()
    options = {"strategy": strategy, "bn_mode": bn_mode, **arguments, "schedule": schedule}
    options |= {"augmentation": augmentation_yaml, "seed": seed}
    options |= {"adaptation": adaptation, "semi_supervised": setup.semi_supervised}
    if class_names:  # they decide which classes validate as thin: retrain repeats them
        options["class_names"] = {str(k): name for k, name in class_names.items()}
    options["fold_in"] = fold_in = fold_in and held_out is None  # a given set stays unseen
    options |= setup.objectives.record()
    if held_out is not None:
        options["validation"] = "given"  # pixels chosen by the caller: not repeatable from here
    pairs = zip(*as_pairs(images, labels), strict=True)
    provenance = run_record(run, *pairs, setup.start, options)
    estimate = steps or 100
    threads, torch_threads = threads_for_run(steps), torch.get_num_threads()
    provenance["threads"] = threads  # how many CPU threads trained (see training/threads.py)
    provenance["device"] = device_of(trained)
    provenance["precision"] = "float32" if autocast_dtype is None else "bfloat16 autocast"
    yield Started(
        trained,
        strategy,
        bn_mode,
        estimate,
        split.n_train,
        split.n_validation,
        split.grouping,
        dict(trained.classes),
        device=device_of(trained),
        max_seconds=None if steps else float(max_seconds),
        threads=(threads, torch_threads),
        levers=setup.objectives.in_words(),
    )
    keeper = KeepBest(net, patience)
    classes = setup.painted.painted_classes
    epochs = EpochEnds(trained, planes, split, classes, keeper, run, strategy, fold_in)
    reason, step, epoch, epoch_losses = "completed", 0, 0, []
    sampler = setup.sampler
    clock = RunClock(max_seconds, steps)  # progress, and early stopping's last stretch
    started = time.perf_counter()

    def trainable() -> list[str]:
        return [g["name"] for g in optimizer.param_groups if g["name"] not in frozen]

    try:
        torch.set_num_threads(threads)  # restored in the finally below
        while True:
            elapsed = time.perf_counter() - started
            progress = clock.progress(step, elapsed)
            if progress >= 1:
                reason = clock.end_reason()
                break
            release = st.unfrozen_by(net, strategy, progress)
            if frozen & release:
                frozen = frozen - release
                st.set_trainable(net, frozen)
            # Every step: a live preview between yields leaves the model in eval mode.
            st.batchnorm_train_mode(net, bn_mode, frozen)
            set_learning_rates(optimizer, base_lrs, progress, schedule)

            x, y = sampler.batch(batch_size)
            how = (device, autocast_dtype, setup.objectives, progress)
            epoch_losses.append(train_step(net, optimizer, x, y, *how))
            step += 1
            elapsed = time.perf_counter() - started
            left = clock.seconds_left(step, elapsed)
            if steps or step >= 3:
                estimate = clock.estimated_steps(step, elapsed)
            rates = {g["name"]: g["lr"] for g in optimizer.param_groups}
            speed = step * batch_size / elapsed
            yield Step(step, estimate, epoch + 1, epoch_losses[-1], rates, elapsed, speed, left)
            if step % STEPS_PER_EPOCH == 0:
                epoch += 1
                progress = clock.progress(step, elapsed)
                event, stop = epochs.end(epoch, step, epoch_losses, elapsed, trainable(), progress)
                if event.folded_in:  # held-out pixels train too; seed + 1: new draws
                    clock.folded_in(step, time.perf_counter() - started)
                    train, side = epochs.split.train, sampler.patch_size
                    sampler = PatchSampler(planes, train, side, setup.pipeline, seed + 1)
                yield event
                if stop:
                    reason = "early stopping"
                    break
        if epoch_losses:
            # A last, partial epoch is judged like the others.
            epoch += 1
            elapsed = time.perf_counter() - started
            yield epochs.end(epoch, step, epoch_losses, elapsed, trainable())[0]
    except GeneratorExit:
        reason = "stopped"
        raise
    finally:
        # Runs on completion and when the consumer closes the generator (Stop).
        torch.set_num_threads(torch_threads)
        trained.history.extend(epochs.closed(step))  # a fold-in: its steps kept, or withdrawn
        keeper.restore()
        st.set_trainable(net, set())
        net.eval()
        finish_record(provenance, trained, step, reason, *epochs.outcome())
        trained.provenance.append(provenance)
        trained.augmentation = augmentation_yaml  # the last run's (None: it had none)
    yield Finished(
        trained,
        epochs.history,
        reason,
        keeper.epoch,
        time.perf_counter() - started,
        **epochs.reported_score(),
    )


def fit(
    images: object,
    labels: object,
    model: SegmentationModel | str | Path | None = DEFAULT_MODEL,
    **kwargs: object,
) -> tuple[SegmentationModel, list[dict]]:
    """Blocking form of :func:`finetune`: train and return ``(model, history)``.

    Takes the same arguments as :func:`finetune`.
    """
    finished = None
    for event in finetune(images, labels, model, **kwargs):
        if isinstance(event, Finished):
            finished = event
    return finished.model, finished.history
