"""docs/tasks.md's worked example, run as written: a new task is one class in one module plus
one registry entry, and `Predictor.predict`, `evaluate` and training's data set-up take it
unchanged (the rest of `finetune` never looks at the task).

The two code blocks are read from the page (so the page cannot drift from what works), the
module block becomes `finlora.tasks.rating` and the registry block runs against a copy of the
registry. The data are analyst-rating headlines written and labelled by hand for this test."""

from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path

import pytest

from finlora import tasks
from finlora.evaluation import evaluate
from finlora.tasks import registry
from finlora.tasks.answers import Labels

from .test_answer_spaces import StandIn

DOC = Path(__file__).resolve().parents[2] / "docs" / "tasks.md"
PROMPT = ("Instruction: Was the analyst's rating raised, lowered or kept? Please choose an "
          "answer from {{upgrade/downgrade/maintain}}.\nInput: {text}\nAnswer: ")
HEADLINES = {
    "upgrade": ["Morgan Stanley upgrades Nvidia to overweight", "Goldman lifts Ford to buy",
                "Barclays raises Boeing to equal weight from underweight",
                "Citi upgrades Pfizer to buy on pipeline", "UBS moves Intel up to neutral",
                "Jefferies upgrades Shopify, sees margin gains",
                "BofA raises Exxon to buy as oil firms", "Wells Fargo upgrades Target to overweight",
                "RBC lifts Netflix to outperform", "Bernstein upgrades Visa to outperform"],
    "downgrade": ["Morgan Stanley downgrades Tesla to underweight", "Goldman cuts Nike to sell",
                  "Barclays lowers Apple to underweight", "Citi downgrades Intel to sell",
                  "UBS cuts Disney to neutral from buy", "Jefferies downgrades Zoom to hold",
                  "BofA lowers Starbucks to underperform",
                  "Wells Fargo downgrades Walgreens to underweight",
                  "RBC cuts Peloton to sector perform", "Bernstein downgrades Moderna"],
    "maintain": ["Morgan Stanley reiterates overweight on Microsoft",
                 "Goldman keeps buy on Amazon", "Barclays maintains equal weight on IBM",
                 "Citi reiterates neutral on Coca-Cola", "UBS keeps its buy on Alphabet",
                 "Jefferies maintains hold on AT&T", "BofA reiterates buy on Meta",
                 "Wells Fargo keeps overweight on Costco", "RBC maintains outperform on Adobe",
                 "Bernstein reiterates market perform on Oracle"],
}


def _doc_blocks() -> tuple[str, str]:
    """The worked example's module block and registry block, as the page shows them."""
    text = DOC.read_text(encoding="utf-8")
    section = text.split("### Worked example", 1)[1]
    module, entry = re.findall(r"```python\n(.*?)```", section, re.DOTALL)[:2]
    assert module.startswith("# finlora/tasks/rating.py") and "register(" in entry
    return module, entry


@pytest.fixture()
def rating_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The page's task registered as `rating` (for this test only); the hand-labelled file."""
    module_code, entry_code = _doc_blocks()
    module = types.ModuleType("finlora.tasks.rating")
    exec(compile(module_code, "finlora/tasks/rating.py", "exec"), module.__dict__)  # noqa: S102
    monkeypatch.setitem(sys.modules, "finlora.tasks.rating", module)
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    exec(compile(entry_code, "finlora/tasks/registry.py", "exec"), dict(vars(registry)))  # noqa: S102
    path = tmp_path / "rating.jsonl"
    rows = [{"context": PROMPT.format(text=text), "target": label}
            for label, texts in HEADLINES.items() for text in texts]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_the_page_s_task_is_registered_split_and_label_scored(rating_data: Path) -> None:
    task = tasks.get("rating", data=str(rating_data))
    assert "rating" in tasks.names()
    splits = {split: task.load(split) for split in ("train", "dev", "test")}
    prompts = [ex.prompt for examples in splits.values() for ex in examples]
    assert len(prompts) == len(set(prompts)) == 30  # every row in exactly one split
    test = splits["test"]
    assert test and task.answer_space(test[0]) == Labels(("upgrade", "downgrade", "maintain"),
                                                        "mean")
    # the stand-in model picks the last label, "maintain": right exactly on the maintain rows
    predictor = StandIn()
    predictions = predictor.predict(task, test)
    assert [p.answer for p in predictions] == ["maintain"] * len(test)
    assert predictor.calls == [("score", 3)] * len(test)
    result = evaluate(task, predictor=predictor)
    truth = sum(ex.target == "maintain" for ex in test) / len(test)
    assert result.metrics["accuracy"] == pytest.approx(truth)
    assert result.baseline is not None  # a classification task: majority baseline reported


def test_the_page_s_task_is_training_data_as_written(rating_data: Path,
                                                     embedded_model_path: str) -> None:
    """What `finetune` does with it first: every train example rendered, tokenized (labels
    on the answer only) and planned once per epoch (the rest of training is task-blind)."""
    from finlora.train import TrainConfig
    from finlora.train.recipe import setup_data

    task = tasks.get("rating", data=str(rating_data))
    train = task.load("train")
    config = TrainConfig(batch_size=2, grad_accum=1, epochs=1.0, max_seq_len=128)
    data = setup_data([task], embedded_model_path, config, world_size=1)
    assert len(data.items) == len(train) and data.plan.total_steps == round(len(train) / 2)
    assert all(item.n_answer >= 2 for item in data.items)  # the label's tokens and EOS


@pytest.mark.slow
def test_the_page_s_task_is_answered_by_the_real_model(rating_data: Path, predictor) -> None:
    task = tasks.get("rating", data=str(rating_data))
    test = task.load("test")
    answers = [p.answer for p in predictor.predict(task, test)]
    assert len(answers) == len(test) and set(answers) <= {"upgrade", "downgrade", "maintain"}
