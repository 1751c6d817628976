"""Random-weight stand-ins with the feature-network contract, for tests and offline smoke runs.

They are NOT metric networks: scores computed with them mean nothing in absolute terms and their
`sha256` (a hash of their weights) never equals `INCEPTION_SHA256`, so a score computed with a
stand-in cannot pass for a real FID/IS (its protocol key differs). They exist so that the whole
pipeline -- quantization, resize, batching, statistics, caching, the clean-fid comparison -- can be
tested where the real Inception file is absent.

* `RandomInception`: torchvision's Inception-v3 *architecture* (``inception_v3(weights=None,
  aux_logits=False, init_weights=False)``), seeded, giving 2048-d pool features and bias-free
  1008-class logits like `NvidiaInception`. It is not NVIDIA's graph (different padding/pooling
  details) -- same family, same shapes, random weights. About 0.1 s per 299x299 image on a 2-core
  CPU, so tests use a handful of images.
* `TinyNet`: a small strided conv net on 299x299 (or any fixed size) inputs, ~100x cheaper, used
  where many images are needed (the clean-fid agreement test). Its first layer is an 8x8 patch
  convolution (stride 8), so every pixel of the resized image -- the part that differs between resize
  implementations -- still reaches the features.
"""

from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F
from torch import nn

from .extractor import FeatureExtractor, tensor_sha256


@contextlib.contextmanager
def seeded(seed: int):
    """Fork the global CPU RNG and seed it inside, so building a network neither depends on nor
    disturbs anyone else's random state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


class RandomInception(nn.Module):
    """torchvision Inception-v3 architecture with seeded random weights; (features, logits)."""

    input_size = 299
    in_channels = 3

    def __init__(self, seed: int = 0, num_classes: int = 1008):
        super().__init__()
        from torchvision.models import inception_v3

        with seeded(seed):
            self.net = inception_v3(weights=None, aux_logits=False, init_weights=False,
                                    num_classes=num_classes)
            # With default init and BN running stats (0, 1), activations vanish (~1e-8) or explode
            # through 17 blocks. Calibrate every BN's running stats on one seeded batch of random
            # images (momentum=None: exact batch statistics), so eval-mode features are O(1).
            calibration = torch.rand(2, 3, self.input_size, self.input_size) * 255
            for module in self.net.modules():
                if isinstance(module, nn.BatchNorm2d):
                    module.reset_running_stats()
                    module.momentum = None
            self.net.train()
            with torch.no_grad():
                self._trunk(calibration)
        self.net.eval()

    _BLOCKS = ("Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1", "Conv2d_3b_1x1",
               "Conv2d_4a_3x3", "maxpool2", "Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a",
               "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c")

    def _trunk(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - 128) / 128  # same input scaling as the TorchScript
        for name in self._BLOCKS:
            x = getattr(self.net, name)(x)
        return torch.flatten(self.net.avgpool(x), 1)  # 2048-d pool features

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats = self._trunk(x)
        return feats, F.linear(feats, self.net.fc.weight)  # bias-free logits, as for the real network


class TinyNet(nn.Module):
    """Cheap conv net with the contract: 64-d features, `num_classes` bias-free logits."""

    in_channels = 3

    def __init__(self, seed: int = 0, input_size: int = 299, width: int = 16, feat_dim: int = 64,
                 num_classes: int = 10):
        super().__init__()
        self.input_size = input_size
        with seeded(seed):
            self.body = nn.Sequential(
                nn.Conv2d(3, width, 8, stride=8), nn.ReLU(),
                nn.Conv2d(width, 2 * width, 3, stride=2), nn.ReLU(),
                nn.Conv2d(2 * width, feat_dim, 3, stride=2), nn.ReLU(),
                nn.AdaptiveAvgPool2d(1),
            )
            self.head = nn.Linear(feat_dim, num_classes, bias=False)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        feats = torch.flatten(self.body((x - 128) / 128), 1) * 10.0  # O(1) features
        return feats, self.head(feats)


def standin_extractor(net: nn.Module, *, kind: str = "inception", resize_mode: str = "clean",
                      device: torch.device | str = "cpu", quantize: str = "trunc",
                      batch_size: int = 64) -> FeatureExtractor:
    """Wrap a stand-in network; its identity is the hash of its weights (never the real digest)."""
    digest = tensor_sha256(net)
    return FeatureExtractor(net=net, kind=kind, sha256=f"standin-{type(net).__name__}-{digest[:16]}",
                            weights_sha256=digest, resize_mode=resize_mode, quantize=quantize,
                            device=device, batch_size=batch_size,
                            description=f"random-weight stand-in {type(net).__name__}")
