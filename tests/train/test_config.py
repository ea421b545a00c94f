"""TrainConfig: FinLoRA defaults, validation that names the field, YAML / TOML files."""

from __future__ import annotations

import pytest

from finlora.errors import ConfigError
from finlora.train import TrainConfig


def test_finlora_defaults() -> None:
    config = TrainConfig()
    assert (config.quantization, config.rank, config.alpha, config.dropout) == ("nf4", 4, 16, 0.05)
    assert config.target_module_names == ["q_proj", "k_proj", "v_proj"]
    assert (config.learning_rate, config.batch_size, config.grad_accum, config.epochs) == (
        1e-4, 8, 2, 4)
    assert TrainConfig(quantization="int8").rank == 8
    assert TrainConfig(quantization="none", rank=16).rank == 16
    assert len(TrainConfig(target_modules="all-linear").target_module_names) == 7


@pytest.mark.parametrize(("values", "field"), [
    ({"rank": 0}, "rank"),
    ({"quantization": "fp8"}, "quantization"),
    ({"dropout": 1.5}, "dropout"),
    ({"target_modules": []}, "target_modules"),
    ({"learning_rat": 1e-3}, "learning_rat"),
])
def test_bad_values_name_the_field(values: dict, field: str) -> None:
    with pytest.raises(ConfigError, match=field):
        TrainConfig.build(**values)


def test_yaml_and_toml_with_overrides(tmp_path) -> None:
    yaml_file = tmp_path / "train.yaml"
    yaml_file.write_text("quantization: none\nrank: 16\ntarget_modules: [q_proj, v_proj]\n")
    config = TrainConfig.from_file(yaml_file, rank=32, learning_rate=None)
    assert (config.quantization, config.rank, config.target_module_names) == (
        "none", 32, ["q_proj", "v_proj"])
    toml_file = tmp_path / "train.toml"
    toml_file.write_text('[train]\nvariant = "dora"\nmax_steps = 7\n')
    assert TrainConfig.from_file(toml_file).max_steps == 7
    toml_file.write_text('[train]\nvariant = "vera"\n')
    with pytest.raises(ConfigError, match=r"train.toml: .*variant"):
        TrainConfig.from_file(toml_file)
    with pytest.raises(ConfigError, match="no such config file"):
        TrainConfig.from_file(tmp_path / "missing.yaml")
