"""The network prepared for inference only: BatchNorm folded into the convolutions.

In evaluation mode a BatchNorm layer is a fixed per-channel scale and shift, so
it can be folded into the weights and bias of the convolution before it
(``torch.nn.utils.fusion.fuse_conv_bn_eval``). The folded network computes the
same function with one memory pass fewer per block; it is what the fast
inference paths and the ONNX export run. Training always uses the unfused
network, whose BatchNorm statistics are what AdaBN and fine-tuning adapt.
"""

from __future__ import annotations

import copy
from itertools import pairwise

from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval


def fused_for_inference(net: nn.Module) -> nn.Module:
    """A copy of ``net`` in evaluation mode with every Conv2d → BatchNorm2d pair folded.

    Parameters
    ----------
    net : torch.nn.Module
        Any network whose convolution/BatchNorm pairs sit next to each other in
        an ``nn.Sequential`` (as in :func:`napari_finetune.models.unet.conv_block`).

    Returns
    -------
    torch.nn.Module
        An independent copy (``net`` itself is left as it was, including its
        training mode); folded BatchNorm layers become ``nn.Identity``, so the
        module tree and every other parameter name are unchanged.
    """
    fused = copy.deepcopy(net).eval()
    for module in fused.modules():
        if not isinstance(module, nn.Sequential):
            continue
        children = list(module.named_children())
        for (conv_name, first), (bn_name, second) in pairwise(children):
            if isinstance(first, nn.Conv2d) and isinstance(second, nn.BatchNorm2d):
                setattr(module, conv_name, fuse_conv_bn_eval(first, second))
                setattr(module, bn_name, nn.Identity())
    for parameter in fused.parameters():
        parameter.requires_grad_(False)
    return fused
