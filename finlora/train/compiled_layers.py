"""Fused elementwise work in the decoder layers, through torch.compile.

Between its matrix products a Llama-style decoder layer runs many small elementwise kernels in
eager mode: RMSNorm in fp32 (cast, square, mean, rsqrt, scale, cast back), rotary embeddings
(slices, a concatenation, four products), SiLU × up, residual adds, and their backward
kernels. On an H200 those took about a third of a QLoRA step (docs/performance.md).
`compile_decoder_layers` hands each decoder layer's blocks (its norms, attention block and MLP)
to torch.compile, which fuses those runs into a few generated kernels, forward and backward.

finlora's fused LoRA layers (`fast_lora`) are traced into those graphs: a whole attention block
or MLP becomes one graph, whose matrix products and nf4 dequantization run as opaque ops
(base_matmul.py) and whose elementwise work (dropout included) inductor fuses, and Python runs
once per block instead of once per layer and kernel. When a fused layer falls back to PEFT's
forward (DoRA, merged, extra arguments) that call is kept out of the graph by finlora's own
`torch.compiler.disable` (fused_layers.py). A block that calls another library's linear layer
(PEFT's own LoRA layers for DoRA / int8, an int8 base layer) is not compiled at all: nothing
of another library is wrapped or replaced. Untargeted nf4 base layers (bitsandbytes Linear4bit)
are traced, as bitsandbytes supports. All layers share one compiled code
object, compiled once per shape family (batch rows and row length become dynamic after the
first change), so training does not recompile per step. The residual adds between blocks stay
eager (a small share of the time).

Compiler settings are scoped, never set globally: AOTAutograd's CSE is switched off inside
finlora's backend only (`_inductor_without_cse`), and the recompile limit is raised only inside
`compiler_settings()`, which the answer-only loss enters on every call (dynamo reads the limit
whenever a call misses its guards, not only at the first call). The blocks are compiled with
nn.Module's public `compile()`, which has no undo: `eager_decoder_layers()` runs compiled
blocks eagerly while inside (`torch.compiler.set_stance("force_eager")`), for A/B runs on one
model. Which blocks finlora compiled is recorded here (weak references), not on the modules.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from finlora.models import split_causal_lm

RECOMPILE_LIMIT = 64  # compiled variants per code object (graph pieces × shape families)

_COMPILED: weakref.WeakSet[nn.Module] = weakref.WeakSet()  # blocks finlora compiled


@contextlib.contextmanager
def compiler_settings() -> Iterator[None]:
    """The dynamo settings compiled decoder blocks need, for the duration of the block: a
    recompile limit of at least `RECOMPILE_LIMIT` per code object."""
    config = torch._dynamo.config
    name = "recompile_limit" if hasattr(config, "recompile_limit") else "cache_size_limit"
    with config.patch(**{name: max(getattr(config, name), RECOMPILE_LIMIT)}):
        yield


def compiler_works(device: torch.device) -> str | None:
    """None if torch.compile runs on `device` here, else why not (no Triton, no C compiler...).

    Compiles and runs one small function: a few seconds, once per process.
    """
    try:
        fn = torch.compile(lambda x: nn.functional.silu(x) * x, dynamic=False)
        fn(torch.ones(16, device=device))
    except Exception as exc:  # noqa: BLE001 - any backend failure means "not here"
        message = str(exc).strip()
        return f"{type(exc).__name__}: {message.splitlines()[0][:200] if message else ''}"
    return None


def _foreign_linear(block: nn.Module) -> bool:
    """Whether `block` calls a layer torch.compile should not trace: PEFT's own LoRA layers
    (DoRA, int8) and linear layers other than nn.Linear and bitsandbytes' nf4 Linear4bit
    (which bitsandbytes makes traceable). finlora's fused layers are traced, and call PEFT's
    forward only from a compiler-disabled fallback."""
    from peft.tuners.lora import LoraLayer

    from finlora.train.fused_layers import FusedLora

    inside_fused = {id(m) for f in block.modules() if isinstance(f, FusedLora)
                    for m in f.modules()}
    return any(id(m) not in inside_fused and (
        isinstance(m, LoraLayer) or ("Linear" in type(m).__name__
                                     and type(m).__name__ not in ("Linear", "Linear4bit")))
        for m in block.modules())


def _inductor_without_cse(graph: torch.fx.GraphModule, example_inputs: list) -> Any:
    """Inductor, with AOTAutograd's common-subexpression elimination off.

    An untargeted nf4 layer (bitsandbytes Linear4bit, traced) dequantizes its weight in the
    forward and again in the backward; merging the two identical calls would keep its dense
    bf16 weight alive until the backward, undoing the point of 4-bit weights. (The fused
    LoRA layers dequantize inside opaque ops, base_matmul.py, and need no such care.)
    """
    from torch._inductor.compile_fx import compile_fx

    with torch._functorch.config.patch(cse=False):
        return compile_fx(graph, example_inputs)


def _decoder_layers(model: nn.Module) -> list[nn.Module]:
    decoder, _ = split_causal_lm(model)
    layers = getattr(decoder, "layers", None)
    if layers is None:
        raise TypeError(f"{type(decoder).__name__} has no `layers` list to compile")
    return list(layers)


def compile_decoder_layers(model: nn.Module, trace_fused_lora: bool = True) -> int:
    """Compile the norms, attention and MLP blocks of every decoder layer; return how many.

    Fused LoRA layers (fused_layers.py) are traced into the blocks when `trace_fused_lora`,
    else called from the graphs (`FusedLora.traced`); blocks that call other linear layers stay
    eager. Call the compiled model inside `compiler_settings()` (`AnswerLoss` does). The blocks
    are compiled, not the layer itself, because gradient checkpointing wraps the layer's
    forward (the compiled blocks run again, compiled, when the backward recomputes them).
    Needs a torch.compile backend: Triton on CUDA, a C++ compiler on CPU.
    """
    from finlora.train.fused_layers import FusedLora

    blocks = 0
    for layer in _decoder_layers(model):
        for module in layer.modules():
            if isinstance(module, FusedLora):
                module.traced = trace_fused_lora
        for block in layer.children():
            if block not in _COMPILED and not _foreign_linear(block):
                block.compile(backend=_inductor_without_cse)
                _COMPILED.add(block)
                blocks += 1
    return blocks


def is_compiled(block: nn.Module) -> bool:
    """Whether `compile_decoder_layers` compiled `block`."""
    return block in _COMPILED


def eager_decoder_layers() -> contextlib.AbstractContextManager:
    """While inside, compiled blocks run eagerly (their own forwards): other training paths
    on the same model, for comparisons (torch's public `set_stance`)."""
    return torch.compiler.set_stance("force_eager")
