"""Helpers shared by the tests of repro.models (tests/models/): counting and finding weights."""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parametrize

N = 3  # batch size of the forward passes


def numel(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def weight_layers(m: nn.Module):
    return [mod for mod in m.modules() if isinstance(mod, (nn.modules.conv._ConvNd, nn.Linear))]


def weight_param(m: nn.Module) -> torch.Tensor:
    """The trainable tensor behind ``m.weight`` (the SN parametrization's original)."""
    return m.parametrizations.weight.original if parametrize.is_parametrized(m, "weight") else m.weight


def is_sn(m: nn.Module) -> bool:
    return parametrize.is_parametrized(m, "weight") and \
        type(m.parametrizations.weight[0]).__name__ == "_SpectralNorm"
