"""The small operations between a decoder layer's matrix multiplies, fused by torch.compile.

At batch 1 an 8B forward is ~30 small kernels per layer beside its 7 matrix multiplies:
RMSNorm's cast, square, mean and scale, rotary embedding's halves and concatenation, the prefix
keys and values concatenated in front of the packed rows, grouped-query expansion, the residual
additions and SwiGLU's product. Each reads and writes a little memory and costs a launch (~3 µs
of GPU time even when replayed from a CUDA graph). `Glue` holds these pieces as plain
functions — the same arithmetic as transformers' Llama modules (`LlamaRMSNorm`,
`apply_rotary_pos_emb`, `LlamaMLP`) — and, when `compiled`, their `torch.compile`d versions
(inductor fuses each into one or two kernels). The projections themselves stay the model's own
modules (PEFT's LoRA and bitsandbytes' layers included), called outside the compiled code, so
nothing of other libraries is traced or patched. Compiler settings are scoped to the calls
(`torch._dynamo.config.patch`), never set globally. If compiling fails, the eager functions are
used from then on and `failure` says why.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import torch
from torch.nn import functional


def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    """`LlamaRMSNorm`'s arithmetic: normalised in float32, scaled in the input dtype."""
    dtype = x.dtype
    x32 = x.to(torch.float32)
    x32 = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + eps)
    return weight * x32.to(dtype)


def add_rms_norm(h: torch.Tensor, delta: torch.Tensor, weight: torch.Tensor, eps: float,
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """The residual sum and its RMSNorm (the next block's input)."""
    h = h + delta
    return h, rms_norm(h, weight, eps)


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def _grouped(t: torch.Tensor, groups: int) -> torch.Tensor:
    if groups == 1:
        return t
    b, heads, n, d = t.shape
    return t[:, :, None].expand(b, heads, groups, n, d).reshape(b, heads * groups, n, d)


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, cos: torch.Tensor,
              sin: torch.Tensor, past_k: torch.Tensor | None, past_v: torch.Tensor | None,
              mask: torch.Tensor | None, scale: float, groups: int) -> torch.Tensor:
    """Rotary embedding, the prefix keys / values in front, sdpa. q, k, v: [rows, heads, n, d]
    as projected; returns the output [rows, n, heads * d]."""
    cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
    q = q * cos + _rotate_half(q) * sin
    k = k * cos + _rotate_half(k) * sin
    if past_k is not None and past_v is not None:
        rows = q.shape[0]
        k = torch.cat([past_k.expand(rows, -1, -1, -1), k], dim=2)
        v = torch.cat([past_v.expand(rows, -1, -1, -1), v], dim=2)
    out = functional.scaled_dot_product_attention(
        q, _grouped(k, groups), _grouped(v, groups), attn_mask=mask, is_causal=mask is None,
        scale=scale)
    return out.transpose(1, 2).reshape(q.shape[0], q.shape[2], -1)


def silu_mul(gate: torch.Tensor, up: torch.Tensor) -> torch.Tensor:
    """SwiGLU's product (`LlamaMLP` with `hidden_act="silu"`)."""
    return functional.silu(gate) * up


PIECES: dict[str, Callable[..., Any]] = {
    "rms_norm": rms_norm, "add_rms_norm": add_rms_norm, "attention": attention,
    "silu_mul": silu_mul}


class Glue:
    """The pieces, eager or compiled; `glue.attention(...)` etc."""

    def __init__(self, compiled: bool = False) -> None:
        self.compiled = compiled
        self.failure: str | None = None
        self._compiled: dict[str, Callable[..., Any]] = {}
        if compiled:
            self._compiled = {name: torch.compile(fn, dynamic=None)
                              for name, fn in PIECES.items()}

    def _settings(self) -> contextlib.AbstractContextManager[Any]:
        # a run sees a handful of packed shapes: allow them all before giving up on compiling
        return torch._dynamo.config.patch(recompile_limit=64, accumulated_recompile_limit=512)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        eager = PIECES.get(name)
        if eager is None:
            raise AttributeError(name)
        compiled = self._compiled.get(name) if self.failure is None else None
        if compiled is None:
            return eager

        def call(*args: Any) -> Any:
            if self.failure is not None:
                return eager(*args)
            try:
                with self._settings():
                    return compiled(*args)
            except Exception as exc:  # noqa: BLE001 - any compiler failure: run eagerly
                self.failure = f"{name}: {type(exc).__name__}: {str(exc).strip()[:300]}"
                return eager(*args)
        return call


def fusable(layer: torch.nn.Module) -> str | None:
    """Why `layer`'s norms and MLP cannot use the glue (None: they can)."""
    mlp = layer.mlp
    if not all(hasattr(mlp, p) for p in ("gate_proj", "up_proj", "down_proj")):
        return "MLP is not gate/up/down"
    act = getattr(getattr(mlp, "config", None), "hidden_act", None)
    if act is not None and act != "silu":
        return f"activation {act!r}"
    for norm in (layer.input_layernorm, layer.post_attention_layernorm):
        if not hasattr(norm, "variance_epsilon") or type(norm).__name__.endswith("GemmaRMSNorm"):
            return f"norm {type(norm).__name__} is not Llama's RMSNorm"
    return None
