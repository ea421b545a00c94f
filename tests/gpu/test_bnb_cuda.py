"""bitsandbytes' nf4 CUDA kernels, as finlora calls them, against a dequantization written
here from the format's definition: the NF4 code book published with QLoRA (Dettmers et al.
2023, appendix E), two 4-bit codes per byte (high nibble first), one absmax per 64 weights,
and double quantization (the absmaxes stored as 8-bit codes with one fp32 scale per 256, plus
their mean)."""

from __future__ import annotations

import pytest
import torch

from finlora.train.base_matmul import dense_weight
from finlora.train.fast_lora import base_inputs

pytestmark = pytest.mark.gpu
CUDA = torch.device("cuda")

NF4 = [-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
       -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
       0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
       0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0]


def _reference_dequantize(packed: torch.Tensor, state) -> torch.Tensor:
    """The fp32 weight from its packed bytes and bnb quant state, by the format's definition."""
    codes = packed.flatten().to(torch.int64)
    nibbles = torch.stack([codes >> 4, codes & 0xF], dim=1).flatten()
    values = torch.tensor(NF4, device=packed.device)[nibbles]
    if state.nested:  # absmax = code2[byte] * scale of its block of 256, + offset
        inner = state.state2
        absmax = inner.code[state.absmax.to(torch.int64)].float()
        absmax = (absmax.view(-1, inner.blocksize) * inner.absmax.float()[:, None]).flatten()
        absmax = absmax[:state.absmax.numel()] + state.offset
    else:
        absmax = state.absmax.float()
    n = state.shape.numel()
    scaled = values[:n].view(-1, state.blocksize) * absmax[:, None]
    return scaled.view(state.shape)


def _quantized(out_features: int, in_features: int, dtype: torch.dtype, nested: bool):
    import bitsandbytes as bnb

    torch.manual_seed(0)
    layer = bnb.nn.Linear4bit(in_features, out_features, bias=False, compute_dtype=dtype,
                              quant_type="nf4", compress_statistics=nested)
    layer.weight = bnb.nn.Params4bit(torch.randn(out_features, in_features) * 0.05,
                                     requires_grad=False, quant_type="nf4",
                                     compress_statistics=nested)
    return layer.to(CUDA)


@pytest.mark.parametrize("nested", [True, False], ids=["double-quant", "plain-absmax"])
def test_nf4_dequantize_kernel_equals_the_format(nested) -> None:
    import bitsandbytes.functional as bnbf

    layer = _quantized(384, 256 * 5, torch.bfloat16, nested)  # 5 blocks of 256 absmaxes
    state = layer.weight.quant_state
    want = _reference_dequantize(layer.weight.data, state)
    assert want.abs().max() > 0 and state.nested == nested
    torch.testing.assert_close(bnbf.dequantize_4bit(layer.weight.data, state).float(), want,
                               rtol=1e-5, atol=1e-6)
    packed, scales, nf4 = base_inputs(layer)  # finlora's path: scales undone once, one kernel
    for dtype in (torch.float32, torch.bfloat16):
        got = dense_weight(packed, scales, nf4, dtype)
        assert got.dtype == dtype and got.shape == (384, 1280)
        tolerance = {"rtol": 1e-5, "atol": 1e-6} if dtype == torch.float32 else {}
        torch.testing.assert_close(got.float(), want.to(dtype).float(), **tolerance)


@pytest.mark.parametrize("rows", [1, 37], ids=["gemv", "matmul"])
def test_nf4_linear_forward_on_cuda_equals_the_dequantized_matmul(rows) -> None:
    """bnb's Linear4bit forward (its batch-1 gemv kernel and its dequantize + matmul path)."""
    layer = _quantized(512, 256, torch.bfloat16, nested=True)
    weight = _reference_dequantize(layer.weight.data, layer.weight.quant_state)
    x = torch.randn(rows, 256, device=CUDA, dtype=torch.bfloat16)
    got = layer(x).float()
    want = x.float() @ weight.t()
    assert float((got - want).norm() / want.norm()) <= 1e-2
