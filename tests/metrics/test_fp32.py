"""Feature extraction runs in full float32 (issue 25, point 2): TF32 and reduced-precision
reductions are off inside every forward of the feature network and restored afterwards.

The switches are process-wide flags, so the CPU can show them being set and restored; what they
change on a GPU (cuDNN convolutions in TF32) is measured on a device, not here."""
import pytest
import torch
from torch import nn

from repro.metrics.extractor import FeatureExtractor, full_fp32

ON = {"matmul_tf32": True, "cudnn_tf32": True, "float32_matmul_precision": "medium",
      "fp16_reduced_reduction": True, "bf16_reduced_reduction": True}


def switches() -> dict:
    m = torch.backends.cuda.matmul
    return {"matmul_tf32": m.allow_tf32, "cudnn_tf32": torch.backends.cudnn.allow_tf32,
            "float32_matmul_precision": torch.get_float32_matmul_precision(),
            "fp16_reduced_reduction": m.allow_fp16_reduced_precision_reduction,
            "bf16_reduced_reduction": m.allow_bf16_reduced_precision_reduction}


def set_switches(state: dict) -> None:
    m = torch.backends.cuda.matmul
    m.allow_tf32, torch.backends.cudnn.allow_tf32 = state["matmul_tf32"], state["cudnn_tf32"]
    torch.set_float32_matmul_precision(state["float32_matmul_precision"])
    m.allow_fp16_reduced_precision_reduction = state["fp16_reduced_reduction"]
    m.allow_bf16_reduced_precision_reduction = state["bf16_reduced_reduction"]


class Spy(nn.Module):
    """A feature network that records the switches it runs under (and can fail on demand)."""
    input_size, in_channels = 8, 3

    def __init__(self, fail: bool = False):
        super().__init__()
        self.lin, self.fail, self.seen = nn.Linear(3 * 8 * 8, 4), fail, []

    def forward(self, x):
        self.seen.append(switches())
        if self.fail:
            raise RuntimeError("boom")
        f = self.lin(x.flatten(1))
        return f, f


@pytest.fixture
def tf32_on():
    before = switches()
    set_switches(ON)
    yield
    set_switches(before)


def test_extraction_runs_in_full_fp32_and_restores_the_switches(tf32_on):
    net = Spy()
    ext = FeatureExtractor(net, kind="inception", sha256="x", batch_size=2)
    ext.extract(torch.zeros(5, 3, 8, 8, dtype=torch.uint8))
    assert len(net.seen) == 3  # 2 + 2 + 1 images: every forward, not just the first
    for inside in net.seen:
        assert inside == {"matmul_tf32": False, "cudnn_tf32": False, "float32_matmul_precision": "highest",
                          "fp16_reduced_reduction": False, "bf16_reduced_reduction": False}
    assert switches() == ON  # the caller's (training's) numerics are back


def test_switches_are_restored_after_an_exception(tf32_on):
    ext = FeatureExtractor(Spy(fail=True), kind="inception", sha256="x")
    with pytest.raises(RuntimeError, match="boom"):
        ext.extract(torch.zeros(2, 3, 8, 8, dtype=torch.uint8))
    assert ext.net.seen[0]["matmul_tf32"] is False and switches() == ON
    with pytest.raises(KeyError):
        with full_fp32():
            raise KeyError("inside")
    assert switches() == ON
