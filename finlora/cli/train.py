"""`finlora train`: finetune a base model with (Q)LoRA on finlora tasks (thin wrapper)."""

from __future__ import annotations

from typing import Any

import click


def _targets(value: str | None) -> Any:
    if value is None or value in ("attention", "all-linear"):
        return value
    return [name.strip() for name in value.split(",") if name.strip()]


@click.command("train")
@click.option("--task", "-t", "tasks", multiple=True, required=True,
              help="Task name or group (fpb, fiqa, tfns, nwgi, sentiment, ner, ...); repeatable "
                   "or comma-separated.")
@click.option("--model", "-m", default=None,
              help="Base model: folder, HF id in the local cache, or 'default' (embedded).")
@click.option("--output", "-o", "output_dir", default="runs/finlora", show_default=True,
              help="Adapter folder to write (also holds checkpoints and metrics.jsonl).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), default=None,
              help="YAML or TOML file of TrainConfig fields; flags below override it.")
@click.option("--quantization", "-q", type=click.Choice(["nf4", "int8", "none"]), default=None,
              help="Base weights: nf4 (QLoRA, default), int8, none.")
@click.option("--rank", "-r", type=int, default=None, help="LoRA rank (default 4 nf4, else 8).")
@click.option("--alpha", type=float, default=None, help="LoRA alpha (default 16).")
@click.option("--dropout", type=float, default=None, help="LoRA dropout (default 0.05).")
@click.option("--targets", default=None,
              help="'attention' (q,k,v; default), 'all-linear', or comma-separated module names.")
@click.option("--variant", default=None,
              help="LoRA variant: lora (default), rslora, dora: see finlora/train/variants.py.")
@click.option("--lr", "learning_rate", type=float, default=None, help="Peak learning rate (1e-4).")
@click.option("--warmup-ratio", type=float, default=None, help="Warm-up share of steps (0.03).")
@click.option("--batch-size", "-b", type=int, default=None, help="Examples per micro-batch (8).")
@click.option("--grad-accum", type=int, default=None, help="Micro-batches per step (2).")
@click.option("--epochs", type=float, default=None, help="Epochs (4) unless --steps is given.")
@click.option("--steps", "max_steps", type=int, default=None, help="Optimizer steps.")
@click.option("--max-seq-len", type=int, default=None, help="Longest example in tokens (512).")
@click.option("--packing/--no-packing", default=None, help="Pack short examples (on).")
@click.option("--chat/--no-chat", "chat_template", default=None,
              help="Wrap prompts in the model's chat template (off).")
@click.option("--gradient-checkpointing/--no-gradient-checkpointing", default=None)
@click.option("--limit", type=int, default=None, help="At most N examples per task.")
@click.option("--split", type=click.Choice(["train", "dev", "test"]), default=None)
@click.option("--dtype", type=click.Choice(["auto", "bf16", "fp32"]), default=None)
@click.option("--fp8-base", "base_precision", flag_value="fp8", default=None,
              help="Frozen base matmuls in fp8 (Hopper / Ada GPUs; off: compute dtype).")
@click.option("--seed", type=int, default=None)
@click.option("--save-every", type=int, default=None, help="Checkpoint every N steps.")
@click.option("--resume", is_flag=True, help="Continue from the newest checkpoint in --output.")
@click.option("--merge", is_flag=True,
              help="Also write OUTPUT/merged: the adapter merged into a dequantized base.")
@click.option("--device", default=None, help="Force a device (cpu, cuda:0); default: auto.")
def command(tasks: tuple[str, ...], model: str | None, output_dir: str, config_file: str | None,
            resume: bool, merge: bool, device: str | None, targets: str | None,
            **fields: Any) -> None:
    """Finetune a base model with (Q)LoRA on finlora tasks; writes a PEFT adapter folder.

    Defaults follow FinLoRA: nf4 QLoRA rank 4 (LoRA rank 8), alpha 16, dropout 0.05, q/k/v,
    lr 1e-4 cosine, batch 8 x grad-accum 2, 4 epochs. Multi-GPU: launch with torchrun.

    \b
    Examples:
      finlora train --task fpb --steps 50 -o runs/fpb
      finlora train --task sentiment -q none --rank 8 --epochs 1 -o runs/sentiment
      finlora train --config train.yaml --task fpb --lr 2e-4 -o runs/fpb
      finlora train --task fpb -o runs/fpb --save-every 50 --resume
      torchrun --nproc_per_node 2 -m finlora train --task fpb --steps 100 -o runs/ddp
    """
    from finlora.train import TrainConfig, finetune

    fields["target_modules"] = _targets(targets)
    if config_file:
        config = TrainConfig.from_file(config_file, **fields)
    else:
        config = TrainConfig.build(**{k: v for k, v in fields.items() if v is not None})
    result = finetune(list(tasks), base_model=model, config=config, output_dir=output_dir,
                      resume=resume, merge=merge, device=device)
    metrics = result.metrics
    if metrics.get("world_size", 1) == 1 or _is_rank0():
        click.echo(f"adapter: {result.adapter_dir}  steps {metrics['steps']}  "
                   f"loss {metrics['first_loss']:.4f} -> {metrics['final_loss']:.4f}  "
                   f"{metrics['tokens_per_s']} tokens/s")
        if result.merged_dir:
            click.echo(f"merged model: {result.merged_dir}")


def _is_rank0() -> bool:
    from finlora.torchrun import launch

    return launch().is_main
