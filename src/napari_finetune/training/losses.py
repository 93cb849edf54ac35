"""Loss over painted pixels only: cross-entropy + soft Dice.

Cross-entropy alone lets the majority class (grain interior, ~90 % of pixels)
dominate; the Dice term weighs each class by its overlap, so thin boundaries
count. Unpainted pixels (target -1) contribute nothing to either.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from napari_finetune.data.patches import IGNORE  # unpainted, set by the sampler


def painted_loss(
    logits: torch.Tensor,
    target: torch.Tensor,
    dice_weight: float = 1.0,
    class_weights: torch.Tensor | None = None,
):
    """Cross-entropy + ``dice_weight`` x (1 - soft Dice) over painted pixels.

    Parameters
    ----------
    logits : torch.Tensor
        ``(N, K, H, W)`` network output.
    target : torch.Tensor
        ``(N, H, W)`` int64 class indices 0..K-1, or -1 where unpainted.
    dice_weight : float
        Weight of the Dice term.
    class_weights : torch.Tensor, optional
        ``(K,)`` weight of each class's pixels in the cross-entropy (a weighted
        mean); None weighs every painted pixel alike.

    Returns
    -------
    torch.Tensor
        Scalar loss; 0 (with a gradient) when nothing is painted.
    """
    painted = target != IGNORE
    if not painted.any():
        return logits.sum() * 0.0
    ce = F.cross_entropy(logits, target, weight=class_weights, ignore_index=IGNORE)
    probs = torch.softmax(logits, dim=1).permute(0, 2, 3, 1)[painted]  # (P, K)
    onehot = F.one_hot(target[painted], logits.shape[1]).to(probs.dtype)
    present = onehot.sum(0) > 0
    intersection = (probs * onehot).sum(0)
    denominator = probs.sum(0) + onehot.sum(0)
    dice = (2 * intersection + 1.0) / (denominator + 1.0)
    return ce + dice_weight * (1 - dice[present].mean())
