"""repro.models: parameter counts at the papers' widths, against hand counts from the papers'
tables."""
from __future__ import annotations

from repro.models import SelfAttention, build

from model_helpers import numel


# --------------------------------------------------------------------------- parameter counts
def test_param_count_sngan_cnn_32():
    """SNGAN Table 3 at M = 32 (Mg = 4), paper widths."""
    G, D = build("sngan_cnn", resolution=32)
    g = (128 * 4 * 4 * 512 + 4 * 4 * 512  # dense
         + 2 * 4 * 4 * 512  # BN after the dense layer (per feature, as chainer's bn0)
         + 512 * 256 * 4 * 4 + 256 + 2 * 256  # deconv 4x4 s2 256, BN
         + 256 * 128 * 4 * 4 + 128 + 2 * 128  # deconv 4x4 s2 128, BN
         + 128 * 64 * 4 * 4 + 64 + 2 * 64  # deconv 4x4 s2 64, BN
         + 64 * 3 * 3 * 3 + 3)  # conv 3x3 s1 3
    d = (3 * 64 * 3 * 3 + 64  # 3x3 64
         + 64 * 64 * 4 * 4 + 64  # 4x4 64
         + 64 * 128 * 3 * 3 + 128  # 3x3 128
         + 128 * 128 * 4 * 4 + 128  # 4x4 128
         + 128 * 256 * 3 * 3 + 256  # 3x3 256
         + 256 * 256 * 4 * 4 + 256  # 4x4 256
         + 256 * 512 * 3 * 3 + 512  # 3x3 512
         + 4 * 4 * 512 + 1)  # dense -> 1
    assert (numel(G), numel(D)) == (g, d) == (3_828_739, 2_935_873)


def test_param_count_sngan_resnet_32():
    """SNGAN Table 4: G ResBlocks of 256, D ResBlocks of 128 (psi without bias, as the code)."""
    G, D = build("sngan_resnet", resolution=32)
    conv3 = 128 * 128 * 9 + 128
    d = ((3 * 128 * 9 + 128) + conv3 + (3 * 128 + 128)  # optimized block: c1, c2, 1x1 shortcut
         + conv3 + conv3 + (128 * 128 + 128)  # down block with 1x1 shortcut
         + 2 * (conv3 + conv3)  # two plain blocks, identity shortcut
         + 128)  # dense -> 1, no bias
    g_block = 2 * 256 + (256 * 256 * 9 + 256) + 2 * 256 + (256 * 256 * 9 + 256) + (256 * 256 + 256)
    g = (128 * 4 * 4 * 256 + 4 * 4 * 256) + 3 * g_block + 2 * 256 + (256 * 3 * 9 + 3)
    assert (numel(G), numel(D)) == (g, d) == (4_276_739, 1_053_824)


def test_param_count_mog_mlps():
    G, D = build("mlp", resolution=0)
    g = (256 * 128 + 128) + (128 * 128 + 128) + (128 * 2 + 2)
    d = (2 * 128 + 128) + (128 * 128 + 128) + (128 * 1 + 1)
    assert (numel(G), numel(D)) == (g, d) == (49_666, 17_025)


def test_param_count_lsgan_112():
    """LSGAN Fig. 3 at 112x112: 5x5 stride-2 convs, BN with gain and bias."""
    G, D = build("lsgan", resolution=112)
    d = (3 * 64 * 25 + 64
         + 64 * 128 * 25 + 128 + 2 * 128
         + 128 * 256 * 25 + 256 + 2 * 256
         + 256 * 512 * 25 + 512 + 2 * 512
         + 7 * 7 * 512 + 1)
    deconv = lambda i, o: i * o * 9 + o + 2 * o  # noqa: E731  3x3 deconv + BN
    g = (1024 * 7 * 7 * 256 + 7 * 7 * 256 + 2 * 256
         + 4 * deconv(256, 256) + deconv(256, 128) + deconv(128, 64)
         + 64 * 3 * 9 + 3)
    assert (numel(G), numel(D)) == (g, d) == (15_591_427, 4_333_441)
    G0, D0 = build("lsgan", resolution=112, bn_g=False, bn_d=False)
    assert numel(D0) == d - 2 * (128 + 256 + 512)
    assert numel(G0) == g - 2 * (256 + 4 * 256 + 128 + 64)


def test_param_count_attention_and_sagan():
    """Attention: four 1x1 convs without bias (C -> C/8 three times, C/8 -> C) and gamma."""
    C = 256
    assert numel(SelfAttention(C)) == 3 * (C * C // 8) + (C // 8) * C + 1 == 32_769
    G, D = build("sagan", resolution=32, n_classes=10, attention=16, norm_g="none", norm_d="none")
    G0, D0 = build("sngan_resnet", resolution=32)
    cbn = 3 * 2 * (2 * 10 * 256 - 2 * 256)  # per-class gain/bias instead of BN's affine
    assert numel(G) == numel(G0) + cbn + numel(SelfAttention(256))
    assert numel(D) == numel(D0) + 1 + 10 * 128 + numel(SelfAttention(128))  # psi bias, V, attn
