"""Recipe levers: epoch boundaries, dev-split model selection, class rebalancing, schedules,
label smoothing's config field. Tiny modules, no model download."""

from __future__ import annotations

import pytest
import torch

from finlora.errors import ConfigError
from finlora.tasks.base import Example
from finlora.train.class_balance import rebalance
from finlora.train.config import TrainConfig
from finlora.train.recipe_options import BestOnDev, EpochEnd, epoch_end, make_scheduler


def test_epoch_ends_with_a_fractional_epoch_length() -> None:
    # 21 examples, global batch 2: 10.5 steps an epoch; 3 epochs = 32 steps (rounded)
    ends = [e for s in range(1, 33) if (e := epoch_end(10.5, s, 32))]
    assert ends == [EpochEnd(1, 11, False), EpochEnd(2, 21, False), EpochEnd(3, 32, True)]
    assert epoch_end(10.5, 5, 5) == EpochEnd(1, 5, True)  # max_steps before the first epoch end


def test_best_on_dev_keeps_the_best_epoch_weights() -> None:
    model = torch.nn.Linear(2, 1)
    frozen = model.bias
    frozen.requires_grad_(False)
    dev = iter([0.5, 0.9, 0.7])
    best = BestOnDev(lambda m: next(dev))
    snapshots = []
    for epoch in (1, 2, 3):
        with torch.no_grad():
            model.weight.fill_(float(epoch))
        snapshots.append(model.weight.detach().clone())
        best(EpochEnd(epoch, epoch * 10, epoch == 3), model)
    assert best.best_epoch == 2 and [h["dev"] for h in best.history] == [0.5, 0.9, 0.7]
    assert torch.equal(model.weight, snapshots[1]) and model.training


def test_rebalance_repeats_minority_classes() -> None:
    examples = ([Example(f"a{i}", "pos") for i in range(10)]
                + [Example(f"b{i}", "neg") for i in range(5)] + [Example("c", "neu")])

    def counts(power: float) -> dict[str, int]:
        out: dict[str, int] = {}
        for ex in rebalance(examples, power):
            out[ex.target] = out.get(ex.target, 0) + 1
        return out

    assert counts(0) == {"pos": 10, "neg": 5, "neu": 1}
    assert counts(1) == {"pos": 10, "neg": 10, "neu": 10}
    # (10 / n) ** 0.5 * n: 5 * 1.414 = 7.07 -> 7, 1 * 3.162 -> 3
    assert counts(0.5) == {"pos": 10, "neg": 7, "neu": 3}
    assert {ex.prompt for ex in rebalance(examples, 1)} == {ex.prompt for ex in examples}


def test_schedules_and_label_smoothing_field() -> None:
    param = torch.nn.Parameter(torch.zeros(1))
    rates = {}
    for name in ("cosine", "linear", "constant"):
        optimizer = torch.optim.SGD([param], lr=1.0)
        scheduler = make_scheduler(optimizer, name, 2, 10)
        seen = []
        for _ in range(10):
            seen.append(scheduler.get_last_lr()[0])
            optimizer.step()
            scheduler.step()
        rates[name] = seen
    assert rates["constant"][:3] == [0.0, 0.5, 1.0] and rates["constant"][-1] == 1.0
    assert rates["linear"][6] == pytest.approx(0.5)  # (10 - 6) / (10 - 2)
    assert rates["cosine"][6] == pytest.approx(0.5)  # cos midpoint of the decay
    assert TrainConfig.build(label_smoothing=0.1, lr_schedule="linear").label_smoothing == 0.1
    with pytest.raises(ConfigError, match="label_smoothing"):
        TrainConfig.build(label_smoothing=1.5)
