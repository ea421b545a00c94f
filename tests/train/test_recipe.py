"""The recipe's stages one at a time, without training: data set-up, the optimizer and its
schedule, the resume rule, torchrun's environment, and the LoRA-variant registry."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from finlora import tasks, torchrun
from finlora.errors import ConfigError
from finlora.train import LORA_VARIANTS, TrainConfig
from finlora.train.recipe import resume_point, setup_data, setup_optimizer
from finlora.train.trainable import lora_config


def test_setup_data_plans_every_example_once_per_epoch(embedded_model_path) -> None:
    config = TrainConfig(limit=10, batch_size=2, grad_accum=1, epochs=1.0, max_seq_len=256)
    data = setup_data([tasks.get("fpb")], embedded_model_path, config, world_size=1)
    assert len(data.items) == 10 and data.plan.total_steps == 5  # 10 examples / batch 2
    seen = [i for step in range(5) for micro in data.plan.step(step) for part in micro
            for i in part]
    assert sorted(seen) == list(range(10))
    assert all(item.n_answer >= 2 for item in data.items)  # an answer token and EOS


def test_setup_data_splits_a_step_between_processes(embedded_model_path) -> None:
    config = TrainConfig(limit=8, batch_size=2, grad_accum=2, max_steps=1, max_seq_len=256)
    data = setup_data([tasks.get("fpb")], embedded_model_path, config, world_size=2)
    micro = data.plan.step(0)  # [micro][rank]
    assert len(micro) == 2 and all(len(per_rank) == 2 for per_rank in micro)
    assert sorted(i for per_rank in micro for part in per_rank for i in part) == list(range(8))


def test_setup_optimizer_warms_up_then_follows_a_cosine() -> None:
    param = torch.nn.Parameter(torch.zeros(3))
    config = TrainConfig(learning_rate=1e-3, warmup_ratio=0.1, weight_decay=0.01)
    optim = setup_optimizer([param], config, total_steps=20, device=torch.device("cpu"))
    group = optim.optimizer.param_groups[0]
    assert isinstance(optim.optimizer, torch.optim.AdamW) and group["weight_decay"] == 0.01
    lrs = []
    for _ in range(20):
        lrs.append(optim.scheduler.get_last_lr()[0])
        optim.optimizer.step()
        optim.scheduler.step()
    # warm-up: ceil(0.1 * 20) = 2 steps from 0; then lr * (1 + cos(pi * t)) / 2 over 18 steps
    assert lrs[0] == 0.0 and lrs[1] == pytest.approx(5e-4) and lrs[2] == pytest.approx(1e-3)
    assert lrs[11] == pytest.approx(1e-3 * (1 + math.cos(math.pi * 9 / 18)) / 2)
    assert lrs[19] == pytest.approx(1e-3 * (1 + math.cos(math.pi * 17 / 18)) / 2)


def test_resume_point_refuses_to_overwrite_an_unfinished_run(tmp_path) -> None:
    world = torchrun.Dist(0, 1, 0, torch.device("cpu"))
    assert resume_point(tmp_path, resume=False, world=world) is None
    done = tmp_path / "checkpoints" / "step-3"
    done.mkdir(parents=True)
    (done / "state.json").write_text("{}")  # a checkpoint is complete once state.json is in
    with pytest.raises(ConfigError, match="--resume"):
        resume_point(tmp_path, resume=False, world=world)
    assert resume_point(tmp_path, resume=True, world=world) == done


def test_torchrun_launch_reads_the_environment(monkeypatch) -> None:
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    alone = torchrun.launch()
    assert (alone.rank, alone.world_size, alone.is_main, alone.enabled) == (0, 1, True, False)
    monkeypatch.setenv("RANK", "5")
    monkeypatch.setenv("WORLD_SIZE", "8")
    monkeypatch.setenv("LOCAL_RANK", "1")
    where = torchrun.launch()
    assert (where.rank, where.world_size, where.local_rank) == (5, 8, 1)
    assert not where.is_main and where.enabled
    assert torchrun.local_device(where, "cpu") == torch.device("cpu")


@pytest.mark.parametrize(("variant", "scaling"), [("lora", 16 / 4), ("rslora", 16 / 4 ** 0.5)])
def test_variants_reach_peft_with_their_scaling(variant, scaling) -> None:
    """LoRA scales the adapter by alpha / r, rsLoRA by alpha / sqrt(r) (Kalajdzievski 2023)."""
    from peft import inject_adapter_in_model

    peft_config = lora_config(TrainConfig(variant=variant, rank=4, alpha=16.0, dropout=0.0,
                                          target_modules=["proj"]))
    model = inject_adapter_in_model(peft_config, torch.nn.ModuleDict({"proj": nn.Linear(8, 8)}))
    assert model["proj"].scaling["default"] == pytest.approx(scaling)
    assert LORA_VARIANTS[variant].fused


def test_dora_reaches_peft_and_is_not_fused() -> None:
    peft_config = lora_config(TrainConfig(variant="dora"))
    assert peft_config.use_dora and not peft_config.use_rslora
    assert not LORA_VARIANTS["dora"].fused


def test_an_unknown_variant_is_a_config_error_naming_the_field() -> None:
    with pytest.raises(ConfigError, match="variant: .*unknown LoRA variant.*dora, lora, rslora"):
        TrainConfig.build(variant="vera")


@pytest.mark.parametrize("fused", [True, False])
def test_a_new_variant_is_one_registry_entry(monkeypatch, tmp_path, fused) -> None:
    """One `LoraVariant` in LORA_VARIANTS, nothing else: TrainConfig and `finlora train
    --variant` accept it, PEFT gets its keyword arguments, and the layers PEFT builds are
    finlora's fused ones exactly when the entry says `fused`."""
    from types import SimpleNamespace

    from click.testing import CliRunner
    from peft import inject_adapter_in_model

    import finlora.train.recipe
    from finlora.cli.train import command
    from finlora.train.fused_layers import FusedLora
    from finlora.train.variants import LoraVariant

    variant = LoraVariant("gaussian", "LoRA with a Gaussian A (PEFT's init_lora_weights).",
                          {"init_lora_weights": "gaussian"}, fused=fused)
    monkeypatch.setitem(LORA_VARIANTS, variant.name, variant)
    config = TrainConfig(variant="gaussian", quantization="none", target_modules=["proj"])
    peft_config = lora_config(config)
    assert peft_config.init_lora_weights == "gaussian"
    model = inject_adapter_in_model(peft_config, torch.nn.ModuleDict({"proj": nn.Linear(8, 8)}))
    assert isinstance(model["proj"], FusedLora) is fused

    seen = []

    def fake_finetune(tasks, *, config, **kwargs):  # what the CLI hands the recipe
        seen.append(config)
        return SimpleNamespace(adapter_dir=tmp_path, merged_dir=None, metrics={
            "steps": 0, "first_loss": 0.0, "final_loss": 0.0, "tokens_per_s": 0})

    monkeypatch.setattr(finlora.train.recipe, "finetune", fake_finetune)
    result = CliRunner().invoke(command, ["--task", "fpb", "--variant", "gaussian",
                                          "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert [c.variant for c in seen] == ["gaussian"]


@pytest.mark.slow
def test_setup_model_then_save_without_training(embedded_model_path, tmp_path) -> None:
    """setup_model: fresh adapters (B = 0, so the model still answers as the base), only they
    train; save: a standard PEFT folder with the run's metadata, the checkpoints dropped."""
    from finlora.train.recipe import run_metadata, save, setup_model

    world = torchrun.Dist(0, 1, 0, torch.device("cpu"))
    config = TrainConfig(quantization="none", rank=4, limit=2, batch_size=2, max_steps=1,
                         max_seq_len=128, compile_layers=False)
    trainee = setup_model(embedded_model_path, config, world)
    names = [n for n, p in trainee.model.named_parameters() if p.requires_grad]
    assert names and all("lora_A" in n or "lora_B" in n for n in names)
    assert len(trainee.params) == len(names) and trainee.runner is not trainee.model  # the loss
    b_weights = [p for n, p in trainee.model.named_parameters() if "lora_B" in n]
    assert b_weights and all(float(p.abs().sum()) == 0 for p in b_weights)
    (tmp_path / "checkpoints" / "step-1").mkdir(parents=True)
    data = setup_data([tasks.get("fpb")], embedded_model_path, config, world_size=1)
    meta = run_metadata([tasks.get("fpb")], None, embedded_model_path, config, data, world,
                        {"steps": 0})
    result = save(trainee.model, tmp_path, meta, world)
    files = {p.name for p in tmp_path.iterdir()}
    assert {"adapter_config.json", "adapter_model.safetensors", "finlora_metadata.json",
            "README.md"} <= files and "checkpoints" not in files
    assert result.adapter_dir == tmp_path and result.merged_dir is None
