"""The runnable examples run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def run(name: str) -> str:
    result = subprocess.run([sys.executable, str(EXAMPLES / name)], capture_output=True,
                            text=True, timeout=600, cwd=EXAMPLES.parent)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_load_filing_example() -> None:
    out = run("load_filing.py")
    assert "112,832,000,000 USD" in out and "facts=1149" in out


@pytest.mark.slow
def test_sentiment_example() -> None:
    lines = run("sentiment.py").splitlines()
    assert [line.split()[0] for line in lines[-3:]] == ["positive", "negative", "neutral"]
