"""`finlora statements` on every bundled filing: statements whose totals tie."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from finlora.cli.statements import command

from .conftest import EXPECTED_FACTS, FILINGS


@pytest.mark.parametrize("name", sorted(EXPECTED_FACTS))
def test_statements_of_every_filing_tie(name, tmp_path) -> None:
    out = tmp_path / "statements.json"
    result = CliRunner().invoke(command, [str(FILINGS / name), "--format", "json", "-o", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert [s["statement"] for s in document["statements"]] == ["balance", "income", "cashflow"]
    for statement in document["statements"]:
        assert statement["ties"] and all(t["status"] == "passed" for t in statement["ties"])
        assert len(statement["columns"]) == 2


def test_markdown_csv_and_periods(tmp_path) -> None:
    runner = CliRunner()
    md = runner.invoke(command, [str(FILINGS / "microsoft-10k-2015-06-30"), "--statement",
                                 "income"])
    assert md.exit_code == 0
    assert "| 93,580,000,000 | 86,833,000,000 |" in md.output  # FY2015, FY2014 revenue
    csv = runner.invoke(command, [str(FILINGS / "tesla-10q-2024-06-30"), "--statement",
                                  "income", "--period", "ytd", "--format", "csv"])
    assert "46801000000" in csv.output  # six months 2024 revenue, as published
    parquet = tmp_path / "st.parquet"
    assert runner.invoke(command, [str(FILINGS / "apple-10q-2025-03-29"), "--format", "parquet",
                                   "-o", str(parquet)]).exit_code == 0
    import pandas as pd

    assert set(pd.read_parquet(parquet)["statement"]) == {"balance", "income", "cashflow"}


def test_bad_input_is_one_line_naming_the_file(tmp_path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<xbrl>")
    for path in (bad, FILINGS / "tesla-10q-2024-06-30"):
        args = [str(path)] + (["--period", "FY1999"] if path.is_dir() else [])
        run = subprocess.run([sys.executable, "-m", "finlora", "statements", *args],
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 3 and "Traceback" not in run.stderr, run.stderr
        assert str(path.name) in run.stderr or "FY1999" in run.stderr
