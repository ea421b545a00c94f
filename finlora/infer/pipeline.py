"""Pipeline parallelism for models that do not fit one device: the decoder's layers are split
into contiguous stages, one per process (one per GPU, or CPU processes with gloo), and
micro-batches flow through the stages under `torch.distributed.pipelining`'s GPipe schedule.

Run one process per stage with torchrun; every rank calls `pipeline_score_labels` with the same
inputs, the last stage returns the scores (other ranks get None):

    torchrun --nproc-per-node 2 -m finlora pipeline --task fpb --limit 8 -o scores.json

Each rank reads only its own weights from the checkpoint's safetensors files (`load_stage_model`:
its layers, the first rank also the embeddings, the last the final norm and LM head); the rest of
the model stays on the meta device and takes no memory, so a model larger than one host's or
one GPU's memory still runs when split over enough ranks.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import nn

from finlora.infer.scoring import (
    LabelScores,
    Normalization,
    encode_prompts,
    label_scores_from_hidden,
    mask_dtype,
    pack_batch,
    pad_token_id,
)
from finlora.models import split_causal_lm


def stage_bounds(num_layers: int, num_stages: int) -> list[tuple[int, int]]:
    """Contiguous, near-equal layer ranges, one per stage."""
    if not 1 <= num_stages <= num_layers:
        raise ValueError(f"cannot split {num_layers} layers into {num_stages} stages")
    edges = [round(i * num_layers / num_stages) for i in range(num_stages + 1)]
    return list(zip(edges[:-1], edges[1:], strict=True))


class DecoderStage(nn.Module):
    """One pipeline stage of a Llama-style causal LM: the embeddings (first stage), decoder
    layers [start, stop), the final norm (last stage).

    Takes and returns (hidden or token ids, position ids, 4-D attention bias) so that every
    stage's inputs are plain tensors split along the batch into micro-batches. It holds the
    model's own modules (no copies)."""

    def __init__(self, decoder: nn.Module, start: int, stop: int, *, first: bool,
                 last: bool) -> None:
        super().__init__()
        self.embed = decoder.embed_tokens if first else None
        self.layers = nn.ModuleList(decoder.layers[start:stop])
        self.rotary = decoder.rotary_emb
        self.norm = decoder.norm if last else None

    def forward(self, x: torch.Tensor, positions: torch.Tensor, bias: torch.Tensor) -> Any:
        hidden = self.embed(x) if self.embed is not None else x
        rotary = self.rotary(hidden, position_ids=positions)
        for layer in self.layers:
            hidden = layer(hidden, attention_mask=bias, position_ids=positions,
                           position_embeddings=rotary)
            hidden = hidden[0] if isinstance(hidden, tuple) else hidden
        if self.norm is not None:
            return self.norm(hidden)
        return hidden, positions, bias


def build_stage_module(model: Any, stage: int, num_stages: int) -> DecoderStage:
    """The part of a Llama-style causal LM one pipeline stage runs."""
    decoder, _ = split_causal_lm(model)
    start, stop = stage_bounds(len(decoder.layers), num_stages)[stage]
    return DecoderStage(decoder, start, stop, first=stage == 0, last=stage == num_stages - 1)


def _checkpoint_files(model_path: str) -> list[Path]:
    folder = Path(model_path)
    index = folder / "model.safetensors.index.json"
    if index.is_file():
        names = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        return [folder / name for name in names]
    if (folder / "model.safetensors").is_file():
        return [folder / "model.safetensors"]
    from finlora.errors import ModelError

    raise ModelError(f"{model_path}: no safetensors checkpoint (model.safetensors or its "
                     "index) to read pipeline stages from")


def load_stage_model(model_path: str, stage: int, num_stages: int, dtype: torch.dtype) -> Any:
    """The causal LM with only `stage`'s weights loaded on the host; all others on meta.

    The architecture is built on the meta device, the stage's parameter names are read off
    the stage module, and just those tensors are read from the safetensors files (a tied LM
    head and embedding stay one tensor). Rotary embeddings are rebuilt on the host.
    """
    from safetensors import safe_open
    from transformers import AutoConfig, AutoModelForCausalLM

    from finlora.errors import ModelError

    config = AutoConfig.from_pretrained(model_path)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    decoder, head = split_causal_lm(model)
    needed = {id(p) for p in build_stage_module(model, stage, num_stages).parameters()}
    if stage == num_stages - 1:
        needed |= {id(p) for p in head.parameters()}
    # tied weights (an LM head sharing the embedding matrix) are one parameter, several names
    names_of: dict[int, list[str]] = {}
    for name, param in model.named_parameters(remove_duplicate=False):
        if id(param) in needed:
            names_of.setdefault(id(param), []).append(name)
    tensors: dict[int, torch.Tensor] = {}
    for file in _checkpoint_files(model_path):
        with safe_open(str(file), framework="pt") as reader:
            present = set(reader.keys())
            for key, names in names_of.items():
                stored = next((n for n in names if n in present), None)
                if key not in tensors and stored is not None:
                    tensors[key] = reader.get_tensor(stored).to(dtype)
    if missing := sorted(names_of[k][0] for k in names_of.keys() - tensors.keys()):
        raise ModelError(f"{model_path}: stage {stage} weights missing from the checkpoint: "
                         f"{missing[:5]}{' ...' if len(missing) > 5 else ''}")
    for key, tensor in tensors.items():
        param = torch.nn.Parameter(tensor, requires_grad=False)
        for name in names_of[key]:
            owner, _, attr = name.rpartition(".")
            model.get_submodule(owner)._parameters[attr] = param
    decoder.rotary_emb = type(decoder.rotary_emb)(config=config)  # buffers computed, not stored
    return model.eval()


def pipeline_score_labels(model: Any, tokenizer: Any, prompts: Sequence[str],
                          labels: Sequence[Sequence[str]], *, batch_size: int = 8,
                          microbatches: int = 2, normalization: Normalization = "mean",
                          device: str | torch.device | None = None,
                          ) -> list[LabelScores] | None:
    """Label scoring with the model's layers split over the ranks of the default process group.

    Same layout as `score_labels` (tree attention, no shared-prefix cache); returns the scores on
    the last rank and None on the others."""
    import torch.distributed as dist
    from torch.distributed.pipelining import PipelineStage, ScheduleGPipe

    rank, world = dist.get_rank(), dist.get_world_size()
    device = torch.device(device or "cpu")
    stage_module = build_stage_module(model, rank, world).to(device).eval()
    _, head = split_causal_lm(model)
    dtype = mask_dtype(head)
    pad_id = pad_token_id(tokenizer)
    prompt_ids, label_ids = encode_prompts(tokenizer, prompts, labels)
    results: list[LabelScores] = []
    with torch.inference_mode():
        for start in range(0, len(prompts), batch_size):
            rows = list(range(start, min(start + batch_size, len(prompts))))
            real = len(rows)
            rows += [rows[-1]] * (-real % microbatches)  # equal micro-batches
            packed = pack_batch([prompt_ids[i] for i in rows], [label_ids[i] for i in rows],
                                pad_id=pad_id)
            # A stage per batch: each batch has its own shapes.
            stage = PipelineStage(stage_module, rank, world, device)
            schedule = ScheduleGPipe(stage, n_microbatches=microbatches)
            if rank == 0:
                schedule.step(packed.input_ids.to(device), packed.positions.to(device),
                              packed.attention_bias(dtype).to(device))
            else:
                hidden = schedule.step()
            if rank == world - 1:
                scored = label_scores_from_hidden(hidden, head.to(device), packed, normalization)
                results += [LabelScores(tuple(labels[i]), tuple(s), tuple(ll))
                            for i, (s, ll) in zip(rows[:real], scored[:real], strict=True)]
    return results if rank == world - 1 else None
