"""`Predictor.predict` decodes by the task's declared answer space. The model is replaced by a
stand-in that "chooses" a fixed label, so each test checks the dispatch and the grounded
post-processing against FinLoRA's gold answers, in milliseconds."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from finlora import tasks
from finlora.errors import ModelError
from finlora.infer.predictor import Predictor
from finlora.infer.scoring import LabelScores

# what a reader picks for FinLoRA's xbrl_value line 1 and xbrl_formula line 4 (hand-checked)
PICKS = {"Retained Earnings": "us-gaap:RetainedEarningsAccumulatedDeficit",
         "Current Assets": "us-gaap:AssetsCurrent", "Inventory": "us-gaap:InventoryNet",
         "Current Liabilities": "us-gaap:LiabilitiesCurrent"}


class StandIn(Predictor):
    """A Predictor without a model: label scoring prefers the label `prefer` returns."""

    def __init__(self) -> None:  # no model loaded
        self.normalization = None
        self.chat = False
        self.tokenizer = None
        self.calls: list[tuple[str, int]] = []

    def render(self, task, examples, chat=None) -> list[str]:
        return [ex.prompt for ex in examples]

    def score_labels(self, prompts: Sequence[str], labels, *, adapter=None, end=None,
                     normalization=None) -> list[LabelScores]:
        out = []
        for prompt, allowed in zip(prompts, labels, strict=True):
            wanted = next((c for label, c in PICKS.items() if f"tag for {label} " in prompt),
                          allowed[-1])
            scores = tuple(1.0 if a == wanted else 0.0 for a in allowed)
            out.append(LabelScores(tuple(allowed), scores, scores))
            self.calls.append(("score", len(allowed)))
        return out

    def generate(self, prompts, *, max_new_tokens=16, adapter=None) -> list[str]:
        self.calls.append(("generate", max_new_tokens))
        return ["The value is 12" for _ in prompts]


@pytest.mark.parametrize("standard", [False, True])
def test_grounded_value_and_formula_give_finlora_s_gold(standard: bool) -> None:
    value = tasks.get("xbrl_value", standard_tags=standard)
    formula = tasks.get("xbrl_formula", standard_tags=standard)
    v_ex, f_ex = value.load("test", limit=1)[0], formula.load("test", limit=4)[3]
    predictor = StandIn()
    [v_pred] = predictor.predict(value, [v_ex])
    [f_pred] = predictor.predict(formula, [f_ex])
    assert v_pred.text == "16116000000" and value.is_correct(v_pred.answer, v_ex)
    assert f_pred.text == "(19084000000 - 5701000000) / 11108000000"
    assert formula.is_correct(f_pred.answer, f_ex)
    # 1 + 3 choices, no generation; with standard tags each choice has one concept left in
    # these snippets, so nothing is scored
    assert [kind for kind, _ in predictor.calls] == ([] if standard else ["score"] * 4)
    if standard:
        assert v_pred.confidence == f_pred.confidence == 1.0


def test_free_text_generates_and_score_mode_refuses_it() -> None:
    task = tasks.get("xbrl_value", grounded=False)
    examples = task.load("test", limit=2)
    predictor = StandIn()
    predictions = predictor.predict(task, examples)
    assert [p.answer for p in predictions] == ["12", "12"]
    assert predictor.calls == [("generate", task.max_new_tokens)]
    with pytest.raises(ModelError):
        predictor.predict(task, examples, mode="score")


def test_labels_and_label_lists() -> None:
    fpb, finer = tasks.get("fpb"), tasks.get("finer")
    predictor = StandIn()
    [sentiment] = predictor.predict(fpb, fpb.load("test", limit=1))
    assert sentiment.answer == "positive"  # the stand-in picks the last label
    example = finer.load("test", limit=1)[0]
    [tags] = predictor.predict(finer, [example])
    slots = example.meta["slot_tags"]
    assert tags.text == ",".join(top[-1] for top in slots)  # each slot among its own top-k
    assert predictor.calls[1:] == [("score", len(top)) for top in slots]
    assert predictor.predict(finer, [example], mode="generate")[0].text == "The value is 12"
