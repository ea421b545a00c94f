"""Parsing and metrics, on hand-written model outputs and hand-checked numbers: labels, tags,
numbers and formulas parse as docs/tasks.md says, and the classification report's figures are
the ones worked out by hand."""

from __future__ import annotations

from decimal import Decimal

import pytest

from finlora import tasks
from finlora.tasks.metrics import classification_report
from finlora.tasks.parsing import (
    evaluate_formula,
    match_label,
    match_tag,
    numbers_equal,
    parse_number,
)


@pytest.mark.parametrize(("name", "output", "expected"), [
    ("xbrl_tags", "us-gaap:AssetsCurrent", "us-gaap:AssetsCurrent"),   # not Assets
    ("xbrl_tags", "Answer: assetscurrent", "us-gaap:AssetsCurrent"),
    ("xbrl_tags", "us-gaap:AssetsCurren", "us-gaap:AssetsCurren"),     # unknown: wrong, parsed
    ("xbrl_tags", "no idea", None),
    ("xbrl_value", "For FY 2023 (2023-12-31) it was $1,234.5 million", "1234500000.0"),
    ("xbrl_value", "(2,000)", "-2000"),
    ("xbrl_value", "n/a", None),
    ("xbrl_formula", "Answer: $1,500 / $1,000 * 100 = 150%", "150"),
    ("xbrl_formula", "1500 / 0", None),
    ("xbrl_formula", "os.system('x')", None),
])
def test_extraction_parsing(name: str, output: str, expected: str | None) -> None:
    task = tasks.get(name)
    example = tasks.Example("<us-gaap:Assets >1</> \n<us-gaap:AssetsCurrent >2</> \n", "x",
                            {"kind": task.default_kind})  # type: ignore[attr-defined]
    parsed = task.parse_answer(output, example)
    if expected is None or name != "xbrl_formula":
        assert parsed == expected
    else:
        assert Decimal(parsed) == Decimal(expected)


def test_huge_or_odd_generated_numbers_score_wrong_not_crash() -> None:
    """A model may generate a 40-digit number; rounding it must not raise (it once did)."""
    task = tasks.get("xbrl_value")
    examples = task.load("test", limit=3)
    answers = [task.parse_answer("9" * 40, examples[0]), task.parse_answer("1e999", examples[1]),
               examples[2].target]
    result = task.score(answers, examples)
    assert result["accuracy"] == pytest.approx(1 / 3)
    assert numbers_equal(Decimal("9" * 40), Decimal("9" * 40))
    assert not numbers_equal(Decimal("NaN"), Decimal(1))


@pytest.mark.parametrize(("output", "expected"), [
    ("positive", "positive"),
    ("Positive.", "positive"),
    ("  The sentiment is NEGATIVE!", "negative"),
    ("neutral, not positive", "neutral"),
    ("positively", None),
    ("", None),
])
def test_sentiment_parsing(output: str, expected: str | None) -> None:
    assert tasks.get("fpb").parse_answer(output) == expected


def test_seven_class_prefers_the_longest_label_at_a_position() -> None:
    nwgi = tasks.get("nwgi")
    assert nwgi.parse_answer("mildly positive") == "mildly positive"
    assert nwgi.parse_answer("Answer: strong negative") == "strong negative"
    assert nwgi.parse_answer("neutral") == "neutral"


def test_prefix_tags_never_tie() -> None:
    tags = ["InterestExpenseDebt", "InterestExpense", "AssetsCurrent", "Assets"]
    assert match_tag("InterestExpense", tags) == "InterestExpense"
    assert match_tag("InterestExpenseDebt", tags) == "InterestExpenseDebt"
    assert match_tag("us-gaap:Assets", tags) == "Assets"
    assert match_tag("us-gaap:AssetsCurrent.", tags) == "AssetsCurrent"
    assert match_tag("AssetsCurren", tags) is None
    assert match_label("us-gaap:AssetsCurrent", ["us-gaap:Assets", "us-gaap:AssetsCurrent"]) \
        == "us-gaap:AssetsCurrent"


def test_finer_parsing_per_position() -> None:
    finer = tasks.get("finer")
    example = finer.load("test", limit=1)[0]
    gold = example.target.split(",")
    answer = f"{gold[0]}, NotATag, us-gaap:{gold[2]}"
    parsed = finer.parse_answer(answer, example)
    assert parsed == f"{gold[0]},<unparsed>,{gold[2]}"
    result = finer.score([parsed], [example])
    assert result["n"] == len(gold)
    assert result["accuracy"] == pytest.approx(sum(g == p for g, p in zip(
        gold, [gold[0], None, gold[2]] + [None] * 9, strict=False)) / len(gold))


@pytest.mark.parametrize(("text", "value"), [
    ("16116000000", "16116000000"), ("$16,116,000,000", "16116000000"),
    ("16,116 million", "16116000000"), ("(1,200)", "-1200"), ("about 3.5bn", "3500000000"),
    ("no number", None),
])
def test_numbers_compare_as_numbers(text: str, value: str | None) -> None:
    parsed = parse_number(text)
    assert parsed == (Decimal(value) if value else None)


def test_formulas_are_evaluated_safely() -> None:
    assert evaluate_formula("(6226000000 / 38542000000) * 100").quantize(Decimal("0.01")) == \
        Decimal("16.15")
    assert evaluate_formula("__import__('os').system('true')") is None
    assert evaluate_formula("1 / 0") is None
    assert evaluate_formula("2 ** 1000000") is None


def test_metrics_on_a_hand_checked_case() -> None:
    gold = ["positive", "positive", "positive", "negative", "neutral", "neutral"]
    pred = ["positive", "positive", "negative", "negative", "neutral", None]
    report = classification_report(pred, gold, ["negative", "neutral", "positive"])
    assert report["accuracy"] == pytest.approx(4 / 6)
    # negative (support 1): P=1/2 R=1 F1=2/3; neutral (2): P=1 R=1/2 F1=2/3;
    # positive (3): P=1 R=2/3 F1=4/5. Unequal F1s, so weighted differs from macro.
    assert report["f1_macro"] == pytest.approx((2 / 3 + 2 / 3 + 4 / 5) / 3)  # 0.711
    assert report["f1_weighted"] == pytest.approx((2 / 3 * 1 + 2 / 3 * 2 + 4 / 5 * 3) / 6)  # 0.733
    assert report["per_class"]["positive"]["recall"] == pytest.approx(2 / 3)
    assert report["parse_failures"] == 1
    assert report["confusion"]["matrix"] == [[1, 0, 0, 0], [0, 1, 0, 1], [1, 0, 2, 0]]
