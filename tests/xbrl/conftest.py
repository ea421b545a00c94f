"""Real filings, loaded once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from finlora.xbrl import Filing, load_filing

FILINGS = Path(__file__).resolve().parents[2] / "examples" / "filings"
EXPECTED_FACTS = {
    "apple-10q-2025-03-29": 760,
    "netflix-10k-2023-12-31": 1086,
    "tesla-10q-2024-06-30": 1149,
    "microsoft-10k-2015-06-30": 2151,
    "amazon-10k-2022-12-31": 1457,
    "globalarena-10q-2024-09-30": 899,
}


@pytest.fixture(scope="session")
def lxml_filings() -> dict[str, Filing]:
    return {name: load_filing(FILINGS / name, engine="lxml") for name in EXPECTED_FACTS}


@pytest.fixture(scope="session")
def arelle_filings() -> dict[str, Filing]:
    return {name: load_filing(FILINGS / name, engine="arelle") for name in EXPECTED_FACTS}
