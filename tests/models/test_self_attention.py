"""repro.models.blocks.SelfAttention (SAGAN Sec. 3, Eq. 1-3) and where the blocks go."""
from __future__ import annotations

import torch

from repro.models import ARCHS, SelfAttention
from repro.models.sngan_resnet import attention_sizes

from model_helpers import N


# --------------------------------------------------------------------------- attention
def test_attention_identity_at_init_and_rows_sum_to_one():
    torch.manual_seed(0)
    attn = SelfAttention(16, norm="spectralnorm")
    x = torch.randn(2, 16, 4, 4)
    assert attn.gamma.item() == 0
    assert torch.equal(attn(x), x)
    beta = attn.attention_map(x)
    assert beta.shape == (2, 16, 16)
    assert torch.allclose(beta.sum(-1), torch.ones(2, 16))


def test_attention_against_hand_computation():
    """C = 8 (so C/8 = 1), 2x2 map: Eqs. (1)-(3) written out with einsum."""
    torch.manual_seed(1)
    attn = SelfAttention(8)
    with torch.no_grad():
        attn.gamma.fill_(0.7)
    x = torch.randn(1, 8, 2, 2)
    X = x[0].reshape(8, 4)  # (C, N): column i is x_i
    Wf, Wg, Wh = (m.weight[:, :, 0, 0] for m in (attn.f, attn.g, attn.h))  # (1, 8)
    Wv = attn.v.weight[:, :, 0, 0]  # (8, 1)
    f, g, h = Wf @ X, Wg @ X, Wh @ X  # (1, N)
    s = torch.einsum("ci,cj->ij", f, g)  # s_ij = f(x_i)^T g(x_j)
    beta = torch.exp(s) / torch.exp(s).sum(dim=0, keepdim=True)  # beta[i, j] = beta_{j,i}
    o = Wv @ torch.einsum("ij,ci->cj", beta, h)  # o_j = v(sum_i beta_{j,i} h(x_i))
    expected = (0.7 * o + X).reshape(1, 8, 2, 2)
    assert torch.allclose(attn(x), expected, atol=1e-6)
    assert torch.allclose(attn.attention_map(x)[0], beta.T, atol=1e-6)


def test_attention_sizes():
    assert attention_sizes(32) == (8, 16)
    assert attention_sizes(48) == (12, 24)
    assert ARCHS["sagan"].attention_sizes(32) == (8, 16)
    assert ARCHS["sngan_cnn"].attention_sizes(32) == ()
