"""A Llama-family decoder forward over packed rows, with a shared prefix held as plain tensors.

transformers' own forward goes through its cache and mask machinery, which needs a cache object
per batch and builds its masks on every call. Label scoring needs neither: the shared prefix's
keys and values are computed once (`prefix_kv`) and concatenated in front of every row, and the
block-diagonal mask comes ready from `packed_layout`. Every module is the model's own (its
norms, projections — PEFT's LoRA layers and bitsandbytes layers included — rotary embedding and
MLP), called in the order transformers calls them, so scores equal a plain forward pass. All
shapes are static, so the forward can be captured in a CUDA graph (`cuda_graphs`). Optionally
the small operations between the projections run as `fused_glue`'s compiled pieces (the same
arithmetic as the model's norms, rotary embedding and SwiGLU; the projections stay its own).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.nn import functional

from finlora.infer.fused_glue import Glue

SUPPORTED_TYPES = ("llama", "mistral", "qwen2")


def unsupported(body: torch.nn.Module) -> str | None:
    """Why `body` (a decoder from `split_causal_lm`) cannot run here, or None if it can."""
    config = getattr(body, "config", None)
    kind = getattr(config, "model_type", None)
    if kind not in SUPPORTED_TYPES:
        return f"model type {kind!r} is not one of {SUPPORTED_TYPES}"
    if getattr(config, "use_sliding_window", False) or (
            kind == "mistral" and getattr(config, "sliding_window", None) is not None):
        return "sliding-window attention"
    needed = ("embed_tokens", "layers", "norm", "rotary_emb")
    if not all(hasattr(body, name) for name in needed):
        return f"decoder lacks one of {needed}"
    attn = body.layers[0].self_attn
    if not all(hasattr(attn, a) for a in ("q_proj", "k_proj", "v_proj", "o_proj", "head_dim",
                                          "scaling", "num_key_value_groups")):
        return "attention module is not Llama-shaped"
    return None


@dataclass
class PrefixKV:
    """Keys (after rotary embedding) and values of a shared prefix, one row, per layer."""

    ids: tuple[int, ...]
    keys: list[torch.Tensor]    # [1, kv_heads, prefix, head_dim]
    values: list[torch.Tensor]

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in (*self.keys, *self.values))


def _projections(attn: torch.nn.Module, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor,
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    from transformers.models.llama.modeling_llama import apply_rotary_pos_emb

    shape = (*x.shape[:-1], -1, attn.head_dim)
    q = attn.q_proj(x).view(shape).transpose(1, 2)
    k = attn.k_proj(x).view(shape).transpose(1, 2)
    v = attn.v_proj(x).view(shape).transpose(1, 2)
    q, k = apply_rotary_pos_emb(q, k, cos, sin)
    return q, k, v


def _grouped(t: torch.Tensor, groups: int) -> torch.Tensor:
    """Key / value heads repeated for grouped-query attention (what transformers' sdpa does)."""
    if groups == 1:
        return t
    b, heads, n, d = t.shape
    return t[:, :, None].expand(b, heads, groups, n, d).reshape(b, heads * groups, n, d)


def _layer(layer: torch.nn.Module, h: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor,
           mask: torch.Tensor | None, past: tuple[torch.Tensor, torch.Tensor] | None,
           ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    attn = layer.self_attn
    q, k, v = _projections(attn, layer.input_layernorm(h), cos, sin)
    own_k, own_v = k, v
    if past is not None:
        rows = h.shape[0]
        k = torch.cat([past[0].expand(rows, -1, -1, -1), k], dim=2)
        v = torch.cat([past[1].expand(rows, -1, -1, -1), v], dim=2)
    groups = attn.num_key_value_groups
    out = functional.scaled_dot_product_attention(
        q, _grouped(k, groups), _grouped(v, groups), attn_mask=mask, is_causal=mask is None,
        scale=attn.scaling)
    h = h + attn.o_proj(out.transpose(1, 2).reshape(*h.shape[:-1], -1))
    h = h + layer.mlp(layer.post_attention_layernorm(h))
    return h, own_k, own_v


def prefix_kv(body: torch.nn.Module, ids: tuple[int, ...], device: torch.device) -> PrefixKV:
    """Run the shared prefix once (causal, positions 0..n-1) and keep its keys and values."""
    tokens = torch.tensor([list(ids)], device=device)
    h = body.embed_tokens(tokens)
    cos, sin = body.rotary_emb(h, torch.arange(len(ids), device=device)[None])
    keys, values = [], []
    for layer in body.layers:
        h, k, v = _layer(layer, h, cos, sin, None, None)
        keys.append(k)
        values.append(v)
    return PrefixKV(ids, keys, values)


def _fused_layers(body: torch.nn.Module, h: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor,
                  mask: torch.Tensor, prefix: PrefixKV | None, glue: Glue) -> torch.Tensor:
    """The decoder layers and the final norm with `glue` between the model's projections:
    each residual addition fused with the next norm, rotary + prefix + sdpa in one piece."""
    layers = body.layers
    first = layers[0].input_layernorm
    normed = glue.rms_norm(h, first.weight, first.variance_epsilon)
    for i, layer in enumerate(layers):
        attn, mlp = layer.self_attn, layer.mlp
        shape = (*h.shape[:-1], -1, attn.head_dim)
        q = attn.q_proj(normed).view(shape).transpose(1, 2)
        k = attn.k_proj(normed).view(shape).transpose(1, 2)
        v = attn.v_proj(normed).view(shape).transpose(1, 2)
        past = prefix is not None and len(prefix) > 0
        out = glue.attention(q, k, v, cos, sin, prefix.keys[i] if past else None,
                             prefix.values[i] if past else None, mask, attn.scaling,
                             attn.num_key_value_groups)
        post = layer.post_attention_layernorm
        h, normed = glue.add_rms_norm(h, attn.o_proj(out), post.weight, post.variance_epsilon)
        delta = mlp.down_proj(glue.silu_mul(mlp.gate_proj(normed), mlp.up_proj(normed)))
        after = layers[i + 1].input_layernorm if i + 1 < len(layers) else body.norm
        h, normed = glue.add_rms_norm(h, delta, after.weight, after.variance_epsilon)
    return normed


def packed_hidden(body: torch.nn.Module, input_ids: torch.Tensor, positions: torch.Tensor,
                  allowed: torch.Tensor, prefix: PrefixKV | None, glue: Glue | None = None,
                  ) -> torch.Tensor:
    """Final-norm hidden states [rows * width, hidden] of packed rows after `prefix`.

    `allowed` is [rows, width, prefix + width] bool (True: may attend). With `glue`
    (`fused_glue`; check `fused_glue.fusable` first) the small operations between the
    projections run as its (compiled) pieces."""
    h = body.embed_tokens(input_ids)
    cos, sin = body.rotary_emb(h, positions)
    # additive, as transformers hands it to sdpa: made once, broadcast over the heads
    mask = torch.zeros(allowed[:, None].shape, dtype=h.dtype, device=h.device)
    mask.masked_fill_(~allowed[:, None], torch.finfo(h.dtype).min)
    if glue is not None:
        return _fused_layers(body, h, cos, sin, mask, prefix, glue).reshape(-1, h.shape[-1])
    for i, layer in enumerate(body.layers):
        past = (prefix.keys[i], prefix.values[i]) if prefix is not None and len(prefix) else None
        h, _, _ = _layer(layer, h, cos, sin, mask, past)
    return body.norm(h).reshape(-1, h.shape[-1])
