import pytest
import torch
from torch import nn

from napari_finetune.training.start_anchor import StartAnchor


def moved_net():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 2))
    anchor = StartAnchor(net, strength=10.0, fresh={"1.weight", "1.bias"})
    start = [p.detach().clone() for p in net.parameters()]
    with torch.no_grad():
        for p in net.parameters():
            p.add_(1.0)
            p.grad = torch.zeros_like(p)  # as after a step
    return net, anchor, start


def test_pull_moves_each_pretrained_weight_its_share_back_to_the_start():
    net, anchor, start = moved_net()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
    anchor.pull(optimizer)
    weight, bias, head_weight, head_bias = net.parameters()
    # lr x strength = 0.1 of the drift of 1.0 is taken back.
    assert torch.allclose(weight, start[0] + 0.9)
    assert torch.allclose(bias, start[1] + 0.9)
    # Fresh parameters (a new head) have no start to return to.
    assert torch.allclose(head_weight, start[2] + 1.0)
    assert torch.allclose(head_bias, start[3] + 1.0)


def test_frozen_weights_and_a_large_share_are_handled():
    net, anchor, start = moved_net()
    net[0].weight.requires_grad_(False)
    before = anchor.drift(net)
    anchor.pull(torch.optim.SGD(net.parameters(), lr=1.0))  # share capped at 1
    assert torch.allclose(net[0].weight, start[0] + 1.0)  # frozen: not trained, not pulled
    assert torch.allclose(net[0].bias, start[1])  # all the way back, not past the start
    assert anchor.drift(net) < before


def test_negative_strength_is_refused():
    with pytest.raises(ValueError, match="0 or more"):
        StartAnchor(nn.Linear(2, 2), strength=-1)
