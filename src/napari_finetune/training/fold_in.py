"""The held-out boxes join training for the last part of a run ("fold-in").

Validation holds out about a fifth of a painting by whole boxes or images
(:mod:`~napari_finetune.data.split`): with 3 images × 4 boxes that is 3 of the
12 boxes, which the kept model never learns from. Trained on every painted
pixel instead (no validation, same 60 s), the worst of three seeds rose on all
four benchmark sets (isbi2012 0.880 → 0.892, task B 0.868 → 0.880, NIST steel
0.968 → 0.974, superalloy 0.775 → 0.784; medians +0.004 / +0.002 / −0.002 / +0.033).

But validation is also the guard against the collapse near the one-cycle
schedule's peak (:mod:`~napari_finetune.training.keep_best`), so the held-out
pixels join only at the first epoch end at or past :data:`FOLD_IN_AT` of the
run, well past the peak (30 %), with the learning rate on its way down (so with
25-step epochs a short step-count run trains on everything for less than the
last 40 %, and one of fewer than 25 steps never). At that epoch's end the
weights keep-best holds come back (when the newest were clearly worse, else
they are the newest); from then on nothing is left to validate on, every epoch
is kept and the run no longer stops early. The score the run reports is that of
the last validated weights, said as such. When early stopping would end the run
before that, the held-out pixels join then instead, for a last stretch
(:mod:`~napari_finetune.training.run_clock`). Measured so (README, *Learning from
fewer strokes: what each lever measured*), the worst seed rose on three sets and
was level on NIST steel (isbi2012 0.893, task B 0.881, NIST steel 0.967,
superalloy 0.817).

Not for a caller-given held-out set (:mod:`~napari_finetune.training.advisor`
compares runs on it, so it must stay unseen) nor when nothing is held out.
"""

from __future__ import annotations

import numpy as np

from napari_finetune.data.split import Split

# Share of the run (time or steps) after which the held-out pixels train too.
FOLD_IN_AT = 0.6


def folds_in(enabled: bool, split: Split, progress: float | None, stopping: bool = False) -> bool:
    """Whether the held-out pixels should join training now.

    Parameters
    ----------
    enabled : bool
        The run's ``fold_in`` switch (False for a caller-given held-out set).
    split : Split
        The run's current split; once folded it holds nothing out.
    progress : float or None
        Share of the run done (elapsed / budget, or step / steps). None (a
        run's last, partial epoch) and 1 or more (the run is over) never fold
        in: nothing would train after it.
    stopping : bool
        Early stopping says stop: the held-out pixels join whatever the
        progress, for a last stretch (:mod:`~napari_finetune.training.run_clock`)
        instead of never training.
    """
    earliest = 0.0 if stopping else FOLD_IN_AT
    return enabled and progress is not None and earliest <= progress < 1 and split.n_validation > 0


def everything_trains(split: Split) -> Split:
    """``split`` with its held-out painted pixels moved to training.

    Parameters
    ----------
    split : Split
        A split with pixels held out.

    Returns
    -------
    Split
        Every painted pixel trains and none is held out; the grouping is kept
        (it says how validation was chosen before the fold-in).
    """
    train = [
        np.where(held > 0, held, trains)
        for trains, held in zip(split.train, split.validation, strict=True)
    ]
    nothing = [np.zeros_like(held) for held in split.validation]
    return Split(train, nothing, split.grouping)
