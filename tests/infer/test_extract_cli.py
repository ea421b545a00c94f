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
    run = finlora("extract", str(filings_dir / TESLA), "-o", str(out))
    assert run.returncode == 0, run.stderr
    records = json.loads(out.read_text())
    filing = load_filing(filings_dir / TESLA)
    by_id = {f.id: f for f in filing.facts}
    facts = [r for r in records if r["kind"] == "fact"]
    ratios = [r for r in records if r["kind"] == "ratio"]
    assert len(facts) >= 10 and ratios
    for record in facts:
        (cited,) = record["citations"]
        fact = by_id[cited["fact_id"]]
        # the model chose the concept; the value, unit, period and context are the filing's
        assert record["concept"] == fact.concept == cited["concept"]
        assert Decimal(record["value"]) == fact.numeric
        assert record["unit"] == fact.unit and cited["context_id"] == fact.context_id
        assert record["period"] == fact.period_label and not fact.dimensions
        assert 0 < record["confidence"] <= 1
    for record in ratios:
        values = [by_id[c["fact_id"]].numeric for c in record["citations"]]
        *numerator, denominator = values
        expected = sum(numerator) / denominator * (100 if record["unit"] == "%" else 1)
        assert abs(Decimal(record["value"]) - expected) <= abs(expected) * Decimal("1e-20")


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
