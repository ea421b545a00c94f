"""Accounting checks, statements that tie, and edited copies of real filings: a tampered
total, a predecessor/successor split, missing dei facts, no presentation linkbase."""

from __future__ import annotations

import shutil
import time
from decimal import Decimal
from pathlib import Path

import pytest

from finlora.errors import DataError
from finlora.xbrl import load_filing
from finlora.xbrl.financials import financials

from .conftest import EXPECTED_FACTS, FILINGS

M = Decimal(1_000_000)


def edited_copy(tmp_path: Path, name: str, edit) -> Path:  # noqa: ANN001 - a str -> str edit
    folder = tmp_path / name
    shutil.copytree(FILINGS / name, folder)
    instance = next(p for p in folder.iterdir() if p.suffix == ".xml" and p.stem.endswith(
        ("_htm", "20150630")) and "_" not in p.stem.removesuffix("_htm"))
    instance.write_text(edit(instance.read_text()))
    return folder


@pytest.mark.parametrize("name", sorted(EXPECTED_FACTS))
def test_checks_pass_and_statements_tie_on_every_bundled_filing(lxml_filings, name) -> None:
    fin = financials(lxml_filings[name])
    checks = fin.checks()
    assert checks and all(c.passed for c in checks), [c for c in checks if not c.passed]
    assert any(c.name == "Assets = LiabilitiesAndStockholdersEquity" for c in checks)
    for kind in ("balance", "income", "cashflow"):
        statement = fin.statement(kind)
        assert len(statement.columns) == 2 and len(statement.rows) >= 15, (name, kind)
        assert statement.ties and all(c.passed for c in statement.ties), (name, kind)
        assert "totals tie" in statement.to_text()
        prior = fin.statement(kind, "prior")  # the comparative and the one before it
        assert prior.columns[0] == statement.columns[1]
        assert prior.ties and all(c.passed for c in prior.ties), (name, kind, "prior")


def test_statement_layout_follows_the_filing(lxml_filings) -> None:
    fin = financials(lxml_filings["tesla-10q-2024-06-30"])
    balance = fin.statement("balance")
    labels = [r.label for r in balance.rows]
    # Tesla's published balance sheet order and labels
    assert labels.index("Total current assets") < labels.index("Total assets") < \
        labels.index("Total liabilities") < labels.index("Total liabilities and equity")
    row = next(r for r in balance.rows if r.label == "Total assets")
    assert row.values == [112_832 * M, 106_618 * M]
    vehicles = next(r for r in balance.rows if r.label == "Operating lease vehicles, net")
    assert vehicles.values == [5_541 * M, 5_989 * M]  # a face line reported with a member
    cash_flow = fin.statement("cashflow")
    assert [p.kind for p in cash_flow.columns] == ["YTD", "YTD"]
    frame = fin.statement("income").to_dataframe()
    assert frame.loc["Gross profit", "2024-04-01..2024-06-30"] == "4578000000"
    microsoft = financials(lxml_filings["microsoft-10k-2015-06-30"]).statement("income", "FY2014")
    assert [p.label for p in microsoft.columns] == ["2013-07-01..2014-06-30",
                                                    "2012-07-01..2013-06-30"]


def test_a_tampered_total_fails_its_identity(tmp_path) -> None:
    folder = edited_copy(tmp_path, "tesla-10q-2024-06-30", lambda text: text.replace(
        'id="f-60" unitRef="usd">112832000000<', 'id="f-60" unitRef="usd">112932000000<'))
    fin = financials(load_filing(folder))
    failed = {c.name for c in fin.checks() if not c.passed}
    assert "Assets = LiabilitiesAndStockholdersEquity" in failed
    assert "calculation: us-gaap:Assets" in failed
    ties = fin.statement("balance").ties
    assert any(not c.passed and c.period == "2024-06-30" for c in ties)
    earlier = [c for c in ties if c.period == "2023-12-31"]
    assert earlier and all(c.passed for c in earlier)


def _split(text: str) -> str:
    """Netflix FY2023 cut into a predecessor (Jan 1 – Jun 15) and a successor (Jun 16 – Dec
    31) period, as after an acquisition: every FY2023 context becomes the successor's, and a
    predecessor context with its own revenue and net income is added."""
    text = text.replace("<startDate>2023-01-01</startDate>", "<startDate>2023-06-16</startDate>")
    predecessor = ('<context id="c-pred"><entity><identifier scheme="http://www.sec.gov/CIK">'
                   "0001065280</identifier></entity><period><startDate>2023-01-01</startDate>"
                   "<endDate>2023-06-15</endDate></period></context>\n")
    facts = ('<us-gaap:Revenues contextRef="c-pred" decimals="-3" id="p-1" unitRef="usd">'
             "15000000000</us-gaap:Revenues>\n"
             '<us-gaap:NetIncomeLoss contextRef="c-pred" decimals="-3" id="p-2" unitRef="usd">'
             "2000000000</us-gaap:NetIncomeLoss>\n")
    return text.replace('<context id="c-1">', predecessor + '<context id="c-1">', 1).replace(
        '<us-gaap:Revenues contextRef="c-1"', facts + '<us-gaap:Revenues contextRef="c-1"', 1)


def test_a_predecessor_successor_split_is_reported_never_mixed(tmp_path) -> None:
    fin = financials(load_filing(edited_copy(tmp_path, "netflix-10k-2023-12-31", _split)))
    predecessor, successor = fin.periods.split
    assert (predecessor.label, successor.label) == ("2023-01-01..2023-06-15",
                                                   "2023-06-16..2023-12-31")
    revenue = fin.get("revenue")
    assert revenue.period_kind == "successor" and revenue.value == 33_723_297_000
    assert any("predecessor/successor split" in n for n in fin.notes)
    assert fin.get("revenue", "predecessor").value == 15_000_000_000
    margin = fin.ratio("net profit margin")
    assert margin.period == successor.label  # successor parts only
    assert financials(load_filing(FILINGS / "netflix-10k-2023-12-31")).periods.split is None


def test_old_filing_without_fiscal_period_focus(tmp_path) -> None:
    folder = edited_copy(tmp_path, "microsoft-10k-2015-06-30", lambda text: "\n".join(
        line for line in text.splitlines() if "<dei:DocumentFiscalPeriodFocus" not in line))
    fin = financials(load_filing(folder))
    assert any("DocumentFiscalPeriodFocus" in n for n in fin.notes)
    assert fin.get("revenue").value == 93_580 * M and fin.get("revenue").period_kind == "FY"


def test_no_dei_facts_and_no_presentation_linkbase(tmp_path) -> None:
    folder = edited_copy(tmp_path, "tesla-10q-2024-06-30", lambda text: "\n".join(
        line for line in text.splitlines() if "<dei:" not in line))
    (folder / "tsla-20240630_pre.xml").unlink()
    fin = financials(load_filing(folder))
    assert any("DocumentPeriodEndDate" in n for n in fin.notes)
    assert any("no presentation linkbase" in n for n in fin.notes)
    assert fin.periods.report_date.isoformat() == "2024-06-30"
    assert fin.get("revenue").value == 25_500 * M and fin.get("revenue").period_kind == "quarter"
    with pytest.raises(DataError, match="tsla-20240630_htm.xml: no presentation linkbase"):
        fin.statement("balance")


def test_key_facts_statements_and_checks_take_under_a_second(lxml_filings) -> None:
    filing = load_filing(FILINGS / "microsoft-10k-2015-06-30")  # the largest bundled filing
    start = time.perf_counter()
    fin = financials(filing)
    fin.key_facts()
    fin.ratios()
    fin.checks()
    for kind in ("balance", "income", "cashflow"):
        fin.statement(kind).to_text()
    assert time.perf_counter() - start < 1.0


def test_a_transition_period_is_named(tmp_path) -> None:
    """Netflix's instance edited into a six-month transition report (10-KT, July–December)."""
    def edit(text: str) -> str:
        text = text.replace("<startDate>2023-01-01</startDate>", "<startDate>2023-07-01</startDate>")
        return text.replace(">10-K</dei:DocumentType>", ">10-KT</dei:DocumentType>")

    fin = financials(load_filing(edited_copy(tmp_path, "netflix-10k-2023-12-31", edit)))
    revenue = fin.get("revenue")
    assert revenue.period_kind == "transition" and revenue.period.label == "2023-07-01..2023-12-31"
    assert any("transition period of 6 months" in n for n in fin.notes)


def test_a_context_a_few_days_off_is_used_and_said_so(tmp_path) -> None:
    """Tesla's Q2 2024 revenue moved to a context ending 2024-06-29 (a 52/53-week calendar
    slip): still the quarter's revenue, 25,500M as published, with a note."""
    context = ('<context id="c-off"><entity><identifier scheme="http://www.sec.gov/CIK">'
               "0001318605</identifier></entity><period><startDate>2024-04-01</startDate>"
               "<endDate>2024-06-29</endDate></period></context>\n")

    moved = ('id="f-140"', 'id="f-527"', 'id="f-1114"')  # its revenue facts of the quarter

    def edit(text: str) -> str:
        lines = [line.replace('contextRef="c-33"', 'contextRef="c-off"')
                 if any(m in line for m in moved) else line for line in text.splitlines()]
        return "\n".join(lines).replace('<context id="c-1">', context + '<context id="c-1">', 1)

    folder = edited_copy(tmp_path, "tesla-10q-2024-06-30", edit)
    fin = financials(load_filing(folder))
    revenue = fin.get("revenue")
    assert revenue.value == 25_500 * M and revenue.period_kind == "quarter"
    assert revenue.citations[0].period == "2024-04-01..2024-06-29"
    assert any("a few days off" in n for n in revenue.notes)
