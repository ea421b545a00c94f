"""`finlora extract` and `finlora batch` as a user runs them: real processes, real filings."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from finlora.xbrl import load_filing

pytestmark = pytest.mark.slow

TESLA = "tesla-10q-2024-06-30"


def finlora(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "finlora", *args], capture_output=True,
                          text=True, timeout=600, cwd=cwd)


def test_extract_cli_returns_grounded_records(filings_dir, tmp_path):
    out = tmp_path / "tesla.json"
    run = finlora("extract", str(filings_dir / TESLA), "-o", str(out), "--ask", "current ratio",
                  "--ask", "What were total assets?", "--ask", "What was automotive leasing?")
    assert run.returncode == 0, run.stderr
    assert "model needed for: What was automotive leasing?" in run.stderr
    records = {r["name"]: r for r in json.loads(out.read_text())}
    filing = load_filing(filings_dir / TESLA)
    by_id = {f.id: f for f in filing.facts}
    assets = records["What were total assets?"]  # a standard line: the rules answer it
    assert assets["method"] == "rules" and assets["concept"] == "us-gaap:Assets"
    assert Decimal(assets["value"]) == 112_832_000_000  # Tesla 10-Q Q2 2024, as published
    assert assets["period_kind"] == "instant" and assets["model_check"] is not None
    assert "Assets = LiabilitiesAndStockholdersEquity (2024-06-30)" in assets["checks_passed"]
    free = records["What was automotive leasing?"]  # no standard line: the model answers
    assert free["method"] == "model" and 0 < free["confidence"] <= 1 and free["warnings"]
    (cited,) = free["citations"]
    fact = by_id[cited["fact_id"]]
    assert free["concept"] == fact.concept and Decimal(free["value"]) == fact.numeric
    assert not fact.dimensions and free["period_kind"] in ("quarter", "YTD", "instant")
    ratio = records["current ratio"]
    values = [by_id[c["fact_id"]].numeric for c in ratio["citations"]]
    assert values == [52_977_000_000, 27_729_000_000]
    expected = Decimal(52_977) / Decimal(27_729)  # Tesla's published current assets / liabilities
    assert abs(Decimal(ratio["value"]) - expected) < Decimal("1e-25")


def test_extract_rules_only_is_exact_and_needs_no_model(filings_dir, tmp_path):
    out = tmp_path / "msft.json"
    run = finlora("extract", str(filings_dir / "microsoft-10k-2015-06-30"), "--rules-only",
                  "-o", str(out))
    assert run.returncode == 0, run.stderr
    records = {r["name"]: r for r in json.loads(out.read_text())}
    # Microsoft FY2015 10-K as published (it also reports Q4: revenue 22,180M, NI -3,195M)
    assert Decimal(records["Revenue"]["value"]) == 93_580_000_000
    assert Decimal(records["Net Income"]["value"]) == 12_193_000_000
    assert records["Revenue"]["period_kind"] == "FY"
    margin = records["operating margin"]
    assert margin["formula"] == "(us-gaap:OperatingIncomeLoss / us-gaap:SalesRevenueNet) * 100"
    assert all(r["method"] == "rules" and not r["checks_failed"] for r in records.values())


def test_batch_records_errors_and_resumes(filings_dir, tmp_path):
    batch = tmp_path / "filings"
    batch.mkdir()
    for name in ("globalarena-10q-2024-09-30", TESLA):
        shutil.copytree(filings_dir / name, batch / name)
    (batch / "corrupt.xml").write_text("<xbrl><not-closed>")  # a broken instance
    out = tmp_path / "out"
    args = ["batch", str(batch), "-o", str(out), "--ask", "What were total assets?"]

    first = finlora(*args)
    assert first.returncode == 6, first.stderr  # not every filing succeeded (partial failure)
    manifest = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    status = {Path(e["filing"]).name: e["status"] for e in manifest}
    assert status == {"globalarena-10q-2024-09-30": "ok", TESLA: "ok", "corrupt.xml": "error"}
    assert "corrupt.xml" in next(e["error"] for e in manifest if e["status"] == "error")
    done = sorted(p.name for p in out.iterdir() if p.suffix == ".jsonl" and p.name != "manifest.jsonl")
    assert done == ["globalarena-10q-2024-09-30.jsonl", f"{TESLA}.jsonl"]
    stamps = {name: (out / name).stat().st_mtime_ns for name in done}

    (batch / "corrupt.xml").unlink()
    second = finlora(*args)
    assert second.returncode == 0, second.stderr
    rerun = [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]
    assert [e["status"] for e in rerun[len(manifest):]] == ["skipped", "skipped"]
    assert stamps == {name: (out / name).stat().st_mtime_ns for name in done}  # not redone
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary leftovers
