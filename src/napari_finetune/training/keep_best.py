"""Which epoch's weights a run keeps, and when it stops early.

A few held-out boxes score with noise of a few hundredths, and the newest
weights have had the most training and the lowest learning rate. So the newest
epoch is kept unless it is clearly worse than the best seen. (In 2 of 4
warm-started checks on isbi2012 a strict "restore the best epoch" rule brought
back a mid-schedule epoch on a lead under 0.005 and scored 0.03-0.05 F1 lower
on the test images.)

"Clearly worse" takes two witnesses: the validation score more than
``keep_within`` below its peak *and* the validation loss more than
``loss_within`` (relative) above its lowest. The score is a mean over classes,
so a class with a handful of held-out pixels swings it by a third: on the
superalloy (seed 1, 14 held-out px of tertiary γ') it peaked at 0.85 on
undertrained weights (test mIoU 0.40), then sat at 0.57-0.65 while the
validation loss fell from 0.65 to 0.18 and the test mIoU rose to 0.77. The
score alone restored the epoch-4 weights and stopped early (0.40); the loss,
an average over every held-out pixel, was the steadier witness. A real
collapse (forgetting at a high learning rate) raises the loss too. Early
stopping counts epochs in which neither the score nor the loss improved.

Both margins widen with the validation's own noise: a drop counts only when it
is more than twice the epoch-to-epoch scatter seen so far (the median absolute
second difference, which a steady rise or fall does not inflate), once seven
epochs tell noise from a step: with fewer, a collapse's own first epoch would
widen the margin enough to pass its second. On the
superalloy with sparse paintings the held-out boxes made the validation score
jump by 0.1-0.3 between epochs; with fixed margins one lucky epoch (score 0.64,
loss 0.27 amid 0.3-0.5 and 1.0-1.7) became the peak and its weights came back
(test mIoU 0.40, where the run trained through scored 0.77). Smooth validation
curves (the boundary sets) keep the fixed margins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

# Validation F1 within this of the best seen counts as no worse.
KEEP_WITHIN = 0.02
# Validation loss within this share above the lowest seen counts as no worse.
LOSS_WITHIN = 0.1
MIN_IMPROVEMENT = 1e-4
# A drop must exceed this many times the validation's scatter to count.
NOISE_MULTIPLE = 2.0
# Epochs needed before their scatter widens the margins: five second differences,
# so that one step (two of them) cannot move their median.
NOISE_EPOCHS = 7
# Median |second difference| of i.i.d. noise of standard deviation 1: sqrt(6) * 0.6745.
_SECOND_DIFFERENCE_MEDIAN = 1.652


def scatter(values: list[float]) -> float:
    """Epoch-to-epoch noise of a validation curve: its standard deviation, estimated.

    Uses the median absolute second difference, so a steady trend (a rising
    score; a loss falling geometrically, when given as logarithms) does not
    count as noise and one outlier does not dominate. Fewer than three
    values: 0.

    Parameters
    ----------
    values : list of float
        The curve, one value per epoch.
    """
    if len(values) < 3:
        return 0.0
    x = np.asarray(values, dtype=float)
    second = x[2:] - 2 * x[1:-1] + x[:-2]
    return float(np.median(np.abs(second)) / _SECOND_DIFFERENCE_MEDIAN)


def noise(values: list[float]) -> float:
    """:func:`scatter` once enough epochs tell noise from a step, else 0 (fixed margins).

    A collapse is a step: two large second differences. Among fewer than
    :data:`NOISE_EPOCHS` - 2 of them the median would take it for noise, and
    the margin it widened would pass the collapse's next epochs.
    """
    return scatter(values) if len(values) >= NOISE_EPOCHS else 0.0


@dataclass(frozen=True)
class Verdict:
    """What :meth:`KeepBest.judge` decided about one epoch."""

    kept: bool  # the epoch's weights are now the ones kept
    new_peak: bool  # its score is the best seen so far
    new_low: bool  # its validation loss is the lowest seen so far
    stop: bool  # patience ran out: stop training


class KeepBest:
    """Keep-best and early-stopping rule over a run's epochs.

    Parameters
    ----------
    net : torch.nn.Module
        The network being trained; its weights at construction are kept until
        an epoch is judged worth keeping.
    patience : int
        Epochs without a new peak after which :attr:`Verdict.stop` is True.
    keep_within : float
        An epoch scoring within this of the peak is kept (newest wins); the
        margin widens to ``noise_multiple`` times the score's scatter.
    loss_within : float
        An epoch whose validation loss is within this share above the lowest
        seen is kept too, whatever its score; the share widens likewise.
    min_improvement : float
        A score must beat the peak (a loss undercut the lowest) by more than
        this to count as a new peak (a new low).
    noise_multiple : float
        How many times the curve's :func:`scatter` before this epoch a drop
        must exceed to count as worse.
    """

    def __init__(
        self,
        net: nn.Module,
        patience: int = 8,
        keep_within: float = KEEP_WITHIN,
        loss_within: float = LOSS_WITHIN,
        min_improvement: float = MIN_IMPROVEMENT,
        noise_multiple: float = NOISE_MULTIPLE,
    ) -> None:
        self.net = net
        self.patience = patience
        self.keep_within = keep_within
        self.loss_within = loss_within
        self.min_improvement = min_improvement
        self.noise_multiple = noise_multiple
        self.scores: list[float] = []  # validation scores judged so far
        self.log_losses: list[float] = []  # log validation losses judged so far
        self.peak: float | None = None  # best validation score seen
        self.low: float | None = None  # lowest validation loss seen
        self.score: float | None = None  # validation score of the kept weights
        self.epoch = 0  # epoch of the kept weights (0: the starting weights)
        self.stale = 0  # epochs since the peak last rose or the loss last fell
        self._state = self._snapshot()

    def _snapshot(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.net.state_dict().items()}

    def judge(self, epoch: int, score: float | None, loss: float | None = None) -> Verdict:
        """Record epoch ``epoch`` with validation ``score`` and ``loss`` (None: not measured).

        Without a validation score every epoch is kept (the newest wins) and
        the run never stops early. Without a loss the score decides alone. A
        score or loss that is not a number (a diverged epoch) is never kept.
        """
        if any(v is not None and not math.isfinite(v) for v in (score, loss)):
            self.stale += 1
            return Verdict(
                False, False, False, self.peak is not None and self.stale >= self.patience
            )
        new_peak = score is not None and (
            self.peak is None or score > self.peak + self.min_improvement
        )
        new_low = loss is not None and (self.low is None or loss < self.low - self.min_improvement)
        if new_peak:
            self.peak = score
        if new_low:
            self.low = loss
        if new_peak or new_low:
            self.stale = 0
        elif score is not None:
            self.stale += 1
        # Margins from the scatter *before* this epoch: a drop must not widen its own.
        score_margin = max(self.keep_within, self.noise_multiple * noise(self.scores))
        # The loss's margin is relative: its scatter on a log scale.
        log_scatter = noise(self.log_losses)
        loss_margin = max(self.loss_within, math.expm1(self.noise_multiple * log_scatter))
        score_worse = score is not None and score < self.peak - score_margin
        loss_worse = loss is None or loss > self.low * (1 + loss_margin)
        if score is not None:
            self.scores.append(score)
        if loss is not None:
            self.log_losses.append(math.log(max(loss, 1e-12)))
        kept = not (score_worse and loss_worse)
        if kept:
            self._state = self._snapshot()
            self.score, self.epoch = score, epoch
        # An epoch with nothing validated (after a fold-in) gives no reason to stop.
        stop = score is not None and self.peak is not None and self.stale >= self.patience
        return Verdict(kept, new_peak, new_low, stop)

    def keep_newest(self) -> None:
        """Keep the network's weights as they are now (steps no validation judges)."""
        self._state = self._snapshot()

    def restore(self) -> None:
        """Load the kept weights back into the network."""
        self.net.load_state_dict(self._state)
