"""Grounded answers to FinLoRA's XBRL extraction sets, checked against the dataset's own gold
answers (FinLoRA's `target` field: the external reference) on its real test lines."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from finlora import tasks
from finlora.tasks.answers import FreeText, Grounded, Labels
from finlora.tasks.base import Example
from finlora.tasks.finlora_xbrl import parse_question, question_of
from finlora.tasks.finlora_xbrl_questions import standard_tags
from finlora.xbrl import load_filing

FILINGS = Path(__file__).resolve().parents[2] / "examples" / "filings"

# FinLoRA lines (xbrl_value_test line 1, xbrl_formula_test line 4) with their gold answers and
# the concepts a reader picks by hand from the snippet
VISA_RETAINED = ("What is the value of Visa Inc's Retained Earnings for the Fiscal Year ending "
                 "in FY 2022?", "16116000000")
DOW_QUICK = "(19084000000 - 5701000000) / 11108000000"


def pick(space: Grounded, wanted: dict[str, str]) -> str | None:
    """The grounded answer when each choice's prompt gets the concept a reader would pick."""
    picked = []
    for choice in space.choices:
        label = choice.prompt.rsplit("tag for ", 1)[1].split(" as reported", 1)[0]
        picked.append(wanted[label])
        assert wanted[label] in choice.labels
    return space.answer(tuple(picked))


def test_value_is_read_from_the_snippet_for_the_chosen_concept() -> None:
    task = tasks.get("xbrl_value")
    example = task.load("test", limit=1)[0]
    assert (question_of(example.prompt), example.target) == VISA_RETAINED
    space = task.answer_space(example)
    assert isinstance(space, Grounded) and len(space.choices) == 1
    text = pick(space, {"Retained Earnings": "us-gaap:RetainedEarningsAccumulatedDeficit"})
    answer = task.parse_answer(text, example)
    assert task.is_correct(answer, example) and Decimal(answer) == Decimal("16116000000")


def test_formula_is_substituted_and_computed_exactly() -> None:
    task = tasks.get("xbrl_formula")
    example = task.load("test", limit=4)[3]
    assert example.target == DOW_QUICK and "Quick Ratio" in example.prompt
    space = task.answer_space(example)
    assert isinstance(space, Grounded) and len(space.choices) == 3
    text = pick(space, {"Current Assets": "us-gaap:AssetsCurrent",
                        "Inventory": "us-gaap:InventoryNet",
                        "Current Liabilities": "us-gaap:LiabilitiesCurrent"})
    assert text == DOW_QUICK
    answer = task.parse_answer(text, example)
    assert task.is_correct(answer, example)
    assert Decimal(answer).quantize(Decimal("0.000001")) == Decimal("1.204807")  # 13383/11108


@pytest.mark.parametrize("name", ["xbrl_value", "xbrl_formula"])
def test_every_finlora_line_is_grounded_and_its_gold_is_reachable(name: str) -> None:
    """Each line parses as a FinLoRA question, and the gold numbers are among the snippet's
    values (the upper bound of the grounded answer is 100%)."""
    task = tasks.get(name)
    for example in task.load("test"):
        space = task.answer_space(example)
        assert isinstance(space, Grounded), question_of(example.prompt)
        assert parse_question(question_of(example.prompt) or "") is not None


def test_without_standard_tags_every_snippet_concept_is_offered_and_the_gold_is_one() -> None:
    task = tasks.get("xbrl_tags", standard_tags=False)
    for example in task.load("test"):
        space = task.answer_space(example)
        assert isinstance(space, Labels) and example.target in space.labels


# FinLoRA xbrl_tags test lines whose gold is not the line item's standard us-gaap tag, checked
# by hand in the snippets: Verizon's "Operating Expenses" is SG&A in FinLoRA's gold (its total
# operating expenses are CostsAndExpenses)
NOT_STANDARD = {15: "us-gaap:SellingGeneralAndAdministrativeExpense",
                34: "us-gaap:SellingGeneralAndAdministrativeExpense"}


def test_standard_tags_answer_alone_and_miss_only_the_hand_checked_lines() -> None:
    narrowed, full = tasks.get("xbrl_tags"), tasks.get("xbrl_tags", standard_tags=False)
    missed, total_assets = {}, 0
    for i, example in enumerate(narrowed.load("test")):
        labels = narrowed.answer_space(example).labels
        assert set(labels) <= set(full.answer_space(example).labels)
        assert len(labels) == 1 or labels == full.answer_space(example).labels
        if example.target not in labels:
            missed[i] = example.target
        if "Total Assets" in (question_of(example.prompt) or ""):
            total_assets += 1
            assert labels == ("us-gaap:Assets",) == (example.target,)  # never AssetsCurrent
    assert missed == NOT_STANDARD and total_assets >= 2


def test_a_value_with_one_standard_tag_in_the_snippet_needs_no_choice() -> None:
    task = tasks.get("xbrl_value")
    example = task.load("test", limit=1)[0]
    (choice,) = task.answer_space(example).choices
    assert choice.labels == ("us-gaap:RetainedEarningsAccumulatedDeficit",)
    wide = tasks.get("xbrl_value", standard_tags=False).answer_space(example).choices[0]
    assert len(wide.labels) > 10 and choice.labels[0] in wide.labels


def test_free_generation_is_the_fallback_and_the_option() -> None:
    task = tasks.get("xbrl_value")
    example = task.load("test", limit=1)[0]
    assert isinstance(tasks.get("xbrl_value", grounded=False).answer_space(example), FreeText)
    odd = Example("What is the value of Visa's Retained Earnings? Answer:", "1",
                  {"kind": "value"})
    assert isinstance(task.answer_space(odd), FreeText)


@pytest.mark.parametrize("name", ["apple-10q-2025-03-29", "microsoft-10k-2015-06-30",
                                  "netflix-10k-2023-12-31", "tesla-10q-2024-06-30"])
def test_total_equity_is_what_the_balance_sheet_adds_up_to(name: str) -> None:
    """The preferred "Total Equity" tag is total equity by the balance-sheet identity (total
    liabilities and equity - liabilities - temporary equity): Tesla's includes its
    noncontrolling interests (StockholdersEquity alone would be $723M short)."""
    filing = load_filing(FILINGS / name)
    values: dict[str, Decimal] = {}
    for fact in filing.facts.query().without_dimensions().numeric():
        if (fact.instant or fact.period_end) == filing.period_end:
            values.setdefault(fact.concept, fact.numeric)
    (equity,) = standard_tags("Total Equity", tuple(values))
    temporary = values.get("us-gaap:RedeemableNoncontrollingInterestEquityCarryingAmount",
                           Decimal(0))
    assert values[equity] + temporary == (values["us-gaap:LiabilitiesAndStockholdersEquity"]
                                          - values["us-gaap:Liabilities"])
