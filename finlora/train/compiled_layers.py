"""Fused elementwise work in the decoder layers, through torch.compile.

Between its matrix products a Llama-style decoder layer runs many small elementwise kernels in
eager mode: RMSNorm in fp32 (cast, square, mean, rsqrt, scale, cast back), rotary embeddings
(slices, a concatenation, four products), SiLU × up, residual adds, and their backward
kernels. On an H200 those took about a third of a QLoRA step (docs/performance.md).
`compile_decoder_layers` hands each decoder layer's blocks (its norms, attention block and MLP)
to torch.compile, which fuses those runs into a few generated kernels, forward and backward.

finlora's fused LoRA layers (`fast_lora`) are traced into those graphs: a whole attention block
or MLP becomes one graph, whose matrix products and nf4 dequantization run as before and whose
elementwise work (dropout included) inductor fuses, and Python runs once per block instead of
once per layer and kernel. Every other linear layer (PEFT's own LoRA layers: DoRA, int8;
bitsandbytes layers) is left out (`torch.compiler.disable`): the graphs break around it and
it runs as it is. All layers share one compiled code object, compiled once per shape family
(batch rows and row length become dynamic after the first change), so training does not
recompile per step. The residual adds between blocks stay eager (a small share of the time).

Compiler settings are scoped, never set globally: AOTAutograd's CSE is switched off inside
finlora's backend only (`_inductor_without_cse`), and the recompile limit is raised only
inside `compiler_settings()`, which the answer-only loss enters on every call: dynamo reads
the limit whenever a call misses its guards (a recompile), not only at the first call.
The blocks are compiled with nn.Module's own `compile()`; which modules finlora compiled or
kept eager is recorded here (weak references), not on the modules.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import nn

from finlora.models import split_causal_lm

RECOMPILE_LIMIT = 64  # compiled variants per code object (graph pieces × shape families)

# modules finlora compiled, and the eager forwards of those it wrapped in torch.compiler.disable
_COMPILED: weakref.WeakSet[nn.Module] = weakref.WeakSet()
_EAGER: weakref.WeakKeyDictionary[nn.Module, Callable | None] = weakref.WeakKeyDictionary()


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


def _opaque(module: nn.Module, trace_fused_lora: bool) -> bool:
    """Modules torch.compile should call, not trace: every linear layer that is not plain,
    except finlora's fused LoRA layers when `trace_fused_lora`."""
    from peft.tuners.lora import LoraLayer

    from finlora.train.fused_layers import FusedLora

    if trace_fused_lora and isinstance(module, FusedLora) and module.fused:
        return False
    return isinstance(module, LoraLayer) or (
        "Linear" in type(module).__name__ and type(module) is not nn.Linear)


def _inductor_without_cse(graph: torch.fx.GraphModule, example_inputs: list) -> Any:
    """Inductor, with AOTAutograd's common-subexpression elimination off.

    The fused LoRA backward dequantizes the nf4 weight again; in the traced forward + backward
    graph that call is identical to the forward's, and merging the two would keep every
    layer's dense bf16 weight alive until the backward (14 GiB for an 8B model), undoing the
    point of 4-bit weights.
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

    Linear layers inside them stay eager, except fused LoRA layers (fused_layers.py) when
    `trace_fused_lora`. Call the compiled model inside `compiler_settings()`. The blocks are compiled, not the layer itself,
    because gradient checkpointing wraps the layer's forward (the compiled blocks run again,
    compiled, when the backward recomputes them). Undo with `uncompile_decoder_layers`. Needs
    a torch.compile backend: Triton on CUDA, a C++ compiler on CPU.
    """
    blocks = 0
    for layer in _decoder_layers(model):
        for module in layer.modules():
            if _opaque(module, trace_fused_lora) and module not in _EAGER:
                _EAGER[module] = vars(module).get("forward")  # None: the class's forward
                module.forward = torch.compiler.disable(module.forward, recursive=True)
        for block in layer.children():
            if not _opaque(block, trace_fused_lora) and block not in _COMPILED:
                block.compile(backend=_inductor_without_cse)
                _COMPILED.add(block)
                blocks += 1
    return blocks


def is_compiled(block: nn.Module) -> bool:
    """Whether `compile_decoder_layers` compiled `block` (and it was not uncompiled since)."""
    return block in _COMPILED


def uncompile_decoder_layers(model: nn.Module) -> None:
    """Undo `compile_decoder_layers` (eager forwards everywhere again)."""
    for layer in _decoder_layers(model):
        for block in layer.children():
            if block in _COMPILED:
                block._compiled_call_impl = None  # what nn.Module.compile() set; no public undo
                _COMPILED.discard(block)
        for module in layer.modules():
            if module in _EAGER:
                eager = _EAGER.pop(module)
                if eager is None:
                    del module.forward
                else:
                    module.forward = eager
