"""The one feature-extraction code path used for every metric network.

A *feature network* is any ``nn.Module`` with the contract

    features, logits = net(images)      # images: float32 (N, C, S, S) with values in 0..255

where S = ``net.input_size`` and C = ``net.in_channels`` (or S arbitrary when the network
resizes inside itself, ``net.resizes_inside = True``, as NVIDIA's TorchScript does in legacy mode).
`features` feed FID/KID and `logits` feed the Inception Score -- from the same forward pass of
the same batch. Inception (real TorchScript or a random-weight stand-in), the digits classifier and
the small test networks all satisfy it, so FID/IS for CIFAR-10, digits and the tests run through
`FeatureExtractor` identically; only the network differs.

`FeatureExtractor` adds what every network needs: uint8 quantization of generator output, the
grey -> RGB channel repeat, the resize (``clean`` or ``legacy_tensorflow``, see `images.py`) on the
images' device, batching, and float32 -> CPU collection. Results do not depend on the batch size
beyond float32 round-off (the networks run in eval mode; tested).

Every forward runs in full float32 (:func:`full_fp32`): on a GPU torch runs cuDNN convolutions in
TF32 by default (10-bit mantissa) and may reduce fp16/bf16 matmuls in reduced precision, while the
TF graph, clean-fid and torch-fidelity score in fp32. The switches are global, so they are set for
the extraction only and restored afterwards, whatever happens inside (issue 25, point 2).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Iterable, Iterator

import numpy as np
import torch
from torch import nn

from .images import resize, to_uint8
from .networks import RESIZE_MODES




def _switches() -> dict:
    """The global torch switches that let a GPU compute float32 work in reduced precision."""
    matmul = torch.backends.cuda.matmul
    return {"matmul_tf32": matmul.allow_tf32, "cudnn_tf32": torch.backends.cudnn.allow_tf32,
            "float32_matmul_precision": torch.get_float32_matmul_precision(),
            "fp16_reduced_reduction": matmul.allow_fp16_reduced_precision_reduction,
            "bf16_reduced_reduction": matmul.allow_bf16_reduced_precision_reduction}


def _set_switches(state: dict) -> None:
    matmul = torch.backends.cuda.matmul
    matmul.allow_tf32 = state["matmul_tf32"]
    torch.backends.cudnn.allow_tf32 = state["cudnn_tf32"]
    torch.set_float32_matmul_precision(state["float32_matmul_precision"])
    matmul.allow_fp16_reduced_precision_reduction = state["fp16_reduced_reduction"]
    matmul.allow_bf16_reduced_precision_reduction = state["bf16_reduced_reduction"]


#: The switches inside :func:`full_fp32`: no TF32, "highest" float32 matmuls, no reduced-precision
#: reductions -- what the TF1 graph, clean-fid and torch-fidelity compute with.
FULL_FP32 = {"matmul_tf32": False, "cudnn_tf32": False, "float32_matmul_precision": "highest",
             "fp16_reduced_reduction": False, "bf16_reduced_reduction": False}


@contextlib.contextmanager
def full_fp32() -> Iterator[dict]:
    """Full float32 on every device for the block, the previous switches restored on exit (also
    after an exception). The switches are process-wide, so this is set around each extraction,
    never left on: training keeps whatever numerics its run chose (repro.io records them)."""
    saved = _switches()
    _set_switches(FULL_FP32)
    try:
        yield dict(FULL_FP32)
    finally:
        _set_switches(saved)


@dataclass
class Features:
    """Features (N, D) and logits (N, K) as float32 NumPy arrays on the CPU."""

    features: np.ndarray
    logits: np.ndarray

    def __len__(self) -> int:
        return self.features.shape[0]


@dataclass(eq=False)
class FeatureExtractor:
    """A feature network plus its preprocessing.

    Args:
        net: module with the (features, logits) contract above; put in eval mode here.
        kind: "inception" or "digits" (checked against `Protocol.network`).
        sha256: identity of the network that protocols record: for the real Inception the sha256
            of the TorchScript file; for the digits classifier its recipe hash; for stand-ins a hash
            of their weights.
        weights_sha256: hash of the actual weights in use (keys cached reference statistics).
        resize_mode: "clean" or "legacy_tensorflow".
        quantize: rule for float generator output, "trunc" (default) or "round".
        device: where preprocessing and the network run.
        batch_size: images per forward pass (does not change the results).
    """

    net: nn.Module
    kind: str
    sha256: str
    resize_mode: str = "clean"
    quantize: str = "trunc"
    device: torch.device | str = "cpu"
    batch_size: int = 200
    weights_sha256: str = ""
    description: str = ""
    info: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.resize_mode not in RESIZE_MODES:
            raise ValueError(f"unknown resize mode {self.resize_mode!r}; choose from {RESIZE_MODES}")
        self.device = torch.device(self.device)
        self.net = self.net.to(self.device).eval()
        self.weights_sha256 = self.weights_sha256 or self.sha256
        self.input_size = int(getattr(self.net, "input_size"))
        self.in_channels = int(getattr(self.net, "in_channels", 3))
        self.resizes_inside = bool(getattr(self.net, "resizes_inside", False))

    # -- preprocessing -------------------------------------------------------------------------
    def preprocess(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 or [-1, 1] float (N, C, H, W) -> float32 0..255 at the network's input size."""
        if images.ndim != 4:
            raise ValueError(f"images must be (N, C, H, W), got {tuple(images.shape)}")
        x = to_uint8(images.to(self.device), self.quantize)
        channels = x.shape[1]
        if channels != self.in_channels:
            if channels == 1 and self.in_channels == 3:
                x = x.expand(-1, 3, -1, -1)  # grey -> RGB by repetition, as PIL's convert("RGB")
            else:
                raise ValueError(f"{self.kind} network takes {self.in_channels} channel(s), got {channels}")
        if self.resizes_inside:
            return x.float()  # e.g. the TorchScript's own TF-style resize in legacy mode
        return resize(x, self.input_size, self.resize_mode)

    @torch.no_grad()
    def forward_batch(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Features and logits (float32, on `device`) of one batch, computed in full fp32."""
        with full_fp32():
            feats, logits = self.net(self.preprocess(images))
        return feats.float().reshape(feats.shape[0], -1), logits.float()

    def __call__(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.forward_batch(images)

    # -- whole sets -------------------------------------------------------------------------------
    def extract_batches(self, batches: Iterable[torch.Tensor]) -> Features:
        """Run the network over an iterable of image batches (any sizes); re-batched to
        `batch_size` so memory use is bounded whatever the caller yields."""
        feats, logits = [], []
        for batch in rebatch(batches, self.batch_size):
            f, l = self.forward_batch(batch)
            feats.append(f.cpu())
            logits.append(l.cpu())
        if not feats:
            raise ValueError("no images")
        return Features(torch.cat(feats).numpy(), torch.cat(logits).numpy())

    def extract(self, images: torch.Tensor) -> Features:
        """Features and logits of an (N, C, H, W) image tensor."""
        return self.extract_batches([images])


def rebatch(batches: Iterable[torch.Tensor], size: int) -> Iterable[torch.Tensor]:
    """Yield consecutive slices of exactly `size` images (the last may be shorter), whatever the
    sizes of the incoming batches; the order of images is preserved."""
    pending: list[torch.Tensor] = []
    count = 0
    for batch in batches:
        while batch.shape[0]:
            take = min(size - count, batch.shape[0])
            pending.append(batch[:take])
            count += take
            batch = batch[take:]
            if count == size:
                yield pending[0] if len(pending) == 1 else torch.cat(pending)
                pending, count = [], 0
    if count:
        yield pending[0] if len(pending) == 1 else torch.cat(pending)


def tensor_sha256(module: nn.Module) -> str:
    """sha256 over a module's state (names, dtypes, shapes, bytes) in key order: an identity for
    networks that are not loaded from a file (stand-ins, the trained digits classifier)."""
    import hashlib

    digest = hashlib.sha256()
    for name, tensor in module.state_dict().items():
        t = tensor.detach().cpu().contiguous()
        digest.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        digest.update(t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.float().numpy().tobytes())
    return digest.hexdigest()
