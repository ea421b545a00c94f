"""Datasets built from real filings: gold values are the filing's facts, ratios exact."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from finlora.tasks import XBRLExtraction, XBRLTagging
from finlora.xbrl import load_filing

FILINGS = Path(__file__).resolve().parents[2] / "examples" / "filings"


@pytest.fixture(scope="module")
def tesla():
    return load_filing(FILINGS / "tesla-10q-2024-06-30")


@pytest.fixture(scope="module")
def tesla_examples(tesla):
    return XBRLExtraction.from_filing(tesla)


def test_values_are_the_filings_facts(tesla, tesla_examples) -> None:
    by_id = {f.id: f for f in tesla.facts}
    values = [ex for ex in tesla_examples if ex.meta["kind"] == "value"]
    assert len(values) >= 10
    for example in values:
        (fact_id,) = example.meta["fact_ids"]
        assert Decimal(example.target) == by_id[fact_id].numeric
        assert not by_id[fact_id].dimensions
    cash = next(ex for ex in values if "Cash and Cash Equivalents" in ex.prompt)
    assert cash.target == "14635000000"


def test_tag_questions_name_the_concept_and_offer_it(tesla_examples) -> None:
    tags = [ex for ex in tesla_examples if ex.meta["kind"] == "tag"]
    assets = next(ex for ex in tags if "for Total Assets as" in ex.prompt)
    assert assets.target == "us-gaap:Assets"
    assert all(ex.target in ex.meta["candidates"] for ex in tags)


def test_ratios_are_computed_exactly(tesla, tesla_examples) -> None:
    task = XBRLExtraction()
    current = next(ex for ex in tesla_examples
                   if ex.meta["kind"] == "calculation" and "current ratio" in ex.prompt)
    q = tesla.facts.query().period("2024-06-30").without_dimensions()
    assets = q.concept("AssetsCurrent").first().numeric
    liabilities = q.concept("LiabilitiesCurrent").first().numeric
    assert Decimal(current.meta["result"]) == assets / liabilities
    assert current.target == f"{assets} / {liabilities}"
    formula = next(ex for ex in tesla_examples
                   if ex.meta["kind"] == "formula" and "current ratio" in ex.prompt)
    assert formula.target == "us-gaap:AssetsCurrent / us-gaap:LiabilitiesCurrent"
    assert task.is_correct(task.parse_answer("AssetsCurrent / LiabilitiesCurrent", formula),
                           formula)
    assert not task.is_correct(task.parse_answer("us-gaap:LiabilitiesCurrent / "
                                                 "us-gaap:AssetsCurrent", formula), formula)
    assert task.is_correct(task.parse_answer(str(assets / liabilities), current), current)


def test_gold_answers_of_every_filing_score_100(tesla) -> None:
    task = XBRLExtraction()
    for folder in sorted(p for p in FILINGS.iterdir() if p.is_dir()):
        examples = XBRLExtraction.from_filing(load_filing(folder))
        assert len(examples) >= 20, folder.name
        parsed = [task.parse_answer(ex.target, ex) for ex in examples]
        assert task.score(parsed, examples)["accuracy"] == 1.0, folder.name


def test_chatty_formula_answers_are_understood(tesla_examples) -> None:
    task = XBRLExtraction()
    formulas = [ex for ex in tesla_examples if ex.meta["kind"] == "formula"]
    assert len(formulas) >= 5
    for example in formulas:
        local = example.target.replace("us-gaap:", "")
        for answer in (f"Answer: {local}", f"The ratio = {example.target}",
                       f"{example.target} = {example.meta['result']}"):
            assert task.is_correct(task.parse_answer(answer, example), example), answer
    swapped = " / ".join(reversed(formulas[0].target.split(" / ")))
    assert not task.is_correct(task.parse_answer(swapped, formulas[0]), formulas[0])


def test_tagging_examples_from_inline_filing() -> None:
    inline = load_filing(FILINGS / "apple-10q-2025-03-29" / "aapl-20250329.htm")
    examples = XBRLTagging.from_filing(inline)
    assert len(examples) > 100
    facts = {f.id: f for f in inline.facts}
    finer = XBRLTagging("finer")
    for example in examples[:30]:
        tags = example.target.split(",")
        for fact_id, tag in zip(example.meta["fact_ids"], tags, strict=True):
            assert facts[fact_id].name == tag
        assert finer.score([finer.parse_answer(example.target, example)], [example])[
            "accuracy"] == 1.0


def test_dataset_cli_writes_jsonl_and_rejects_bad_filings(tmp_path: Path) -> None:
    out = tmp_path / "questions.jsonl"
    result = subprocess.run([sys.executable, "-m", "finlora", "dataset",
                             str(FILINGS / "tesla-10q-2024-06-30"),
                             str(FILINGS / "netflix-10k-2023-12-31"), "-o", str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) > 50 and {"context", "target", "meta"} <= set(rows[0])
    bad = tmp_path / "bad.xml"
    bad.write_text("<xbrl>")
    out2 = tmp_path / "never.jsonl"
    result = subprocess.run([sys.executable, "-m", "finlora", "dataset", str(bad), "-o",
                             str(out2)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 3 and str(bad) in result.stderr and not out2.exists()


def test_ten_k_questions_ask_for_the_fiscal_year_not_a_quarter() -> None:
    """Microsoft's FY2015 10-K also reports quarters; the gold answers are the published
    fiscal-year figures (revenue 93,580M, net income 12,193M), not Q4 (22,180M, -3,195M)."""
    examples = XBRLExtraction.from_filing(load_filing(FILINGS / "microsoft-10k-2015-06-30"))
    values = {ex.meta["label"]: ex for ex in examples if ex.meta["kind"] == "value"}
    assert values["Revenue"].target == "93580000000"
    assert values["Net Income"].target == "12193000000"
    assert "Fiscal Year ending in FY 2015 (2015-06-30)" in values["Revenue"].prompt
    assert values["Research and Development Expense"].target == "12046000000"
    margin = next(ex for ex in examples if ex.meta["kind"] == "calculation"
                  and "operating margin" in ex.prompt)
    assert margin.target == "(18161000000 / 93580000000) * 100"


def test_free_lines_and_free_questions(tesla_examples) -> None:
    """Tesla 10-Q Q2 2024 as published: R&D 1,074M and SG&A 1,277M for the quarter,
    operating cash flow 3,854M for the six months (only year to date is reported)."""
    values = {ex.meta["label"]: ex for ex in tesla_examples if ex.meta["kind"] == "value"}
    assert values["Research and Development Expense"].target == "1074000000"
    assert values["Selling, General and Administrative Expense"].target == "1277000000"
    cash = values["Net Cash from Operating Activities"]
    assert cash.target == "3854000000" and cash.meta["period_kind"] == "YTD"
    assert "6-month period (year to date) ending 2024-06-30" in cash.prompt
    free = [ex for ex in tesla_examples if ex.meta.get("free")]
    asked = {ex.prompt.rsplit("Question: ", 1)[1].split(" \n")[0]: ex.target for ex in free}
    assert asked["What was research and development expense?"] == \
        "us-gaap:ResearchAndDevelopmentExpense"
    assert asked["What was interest expense?"] == "us-gaap:InterestExpense"
    assert all(ex.target in ex.meta["candidates"] for ex in free)
    quick = next(ex for ex in tesla_examples if ex.meta["kind"] == "formula"
                 and "quick ratio" in ex.prompt)
    assert quick.target == ("(us-gaap:AssetsCurrent - us-gaap:InventoryNet) / "
                            "us-gaap:LiabilitiesCurrent")
