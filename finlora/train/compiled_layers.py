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
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from finlora.models import split_causal_lm

RECOMPILE_LIMIT = 64  # compiled variants per code object (graph pieces × shape families)


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

    if trace_fused_lora and "_finlora_peft_forward" in vars(module):
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

    Linear layers inside them stay eager, except fused LoRA layers (`patch_lora_layers` first)
    when `trace_fused_lora`. The blocks are compiled, not the layer itself,
    because gradient checkpointing wraps the layer's forward (the compiled blocks run again,
    compiled, when the backward recomputes them). Undo with `uncompile_decoder_layers`. Needs
    a torch.compile backend: Triton on CUDA, a C++ compiler on CPU.
    """
    torch._dynamo.config.cache_size_limit = max(torch._dynamo.config.cache_size_limit,
                                                RECOMPILE_LIMIT)
    blocks = 0
    for layer in _decoder_layers(model):
        for module in layer.modules():
            if _opaque(module, trace_fused_lora) and "_finlora_eager_forward" not in vars(module):
                module._finlora_eager_forward = module.forward
                module.forward = torch.compiler.disable(module.forward, recursive=True)
        for block in layer.children():
            if not _opaque(block, trace_fused_lora) and block._compiled_call_impl is None:
                block.compile(backend=_inductor_without_cse)
                blocks += 1
    return blocks


def uncompile_decoder_layers(model: nn.Module) -> None:
    """Undo `compile_decoder_layers` (eager forwards everywhere again)."""
    for layer in _decoder_layers(model):
        for block in layer.children():
            block._compiled_call_impl = None
        for module in layer.modules():
            eager: Any = vars(module).pop("_finlora_eager_forward", None)
            if eager is not None:
                module.forward = eager
