"""Inline XBRL 1.1 rules the bundled filings do not exercise, each on a minimally edited copy
of the real Apple 10-Q: the expected values are written by hand from the rule, and Arelle
(another engine) must give the same facts, field for field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from finlora.errors import FilingError
from finlora.xbrl import load_filing

from .conftest import FILINGS
from .test_load import fact_key

APPLE = FILINGS / "apple-10q-2025-03-29"
HTM = "aapl-20250329.htm"
BASE = "https://www.sec.gov/Archives/edgar/data/320193/"
EDITS = [
    # an html <base>: relative URIs in escaped markup are resolved against it (space → %20),
    # absolute ones are kept; attributes come out sorted
    (b"<head>", f'<head><base href="{BASE}"/>'.encode()),
    (b'escape="true">Summary of Significant Accounting Policies</ix:nonNumeric>',
     b'escape="true">Summary of <a href="aapl ex31.htm">Significant</a> Accounting Policies'
     b'<img src="https://example.com/x.png" alt=""/></ix:nonNumeric>'),
    # sign="-" on a zero: the value is "-0" (Decimal 0 negated by multiplication)
    (b'format="ixt:fixed-zero" scale="6" id="f-433"',
     b'format="ixt:fixed-zero" scale="6" sign="-" id="f-433"'),
]


@pytest.fixture(scope="module")
def edited(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("spec") / "apple"
    shutil.copytree(APPLE, folder)
    data = (APPLE / HTM).read_bytes()
    for old, new in EDITS:
        assert data.count(old) == 1, old
        data = data.replace(old, new)
    (folder / HTM).write_bytes(data)
    return folder / HTM


def test_escaped_uris_resolve_against_the_base(edited) -> None:
    fact = next(f for f in load_filing(edited).facts if f.id == "f-358")
    assert fact.value.startswith(
        f'Summary of <a href="{BASE}aapl%20ex31.htm">Significant</a> Accounting Policies'
        '<img alt="" src="https://example.com/x.png"/>')


def test_sign_on_zero(edited) -> None:
    fact = next(f for f in load_filing(edited).facts if f.id == "f-433")
    assert fact.value == "-0" and fact.numeric == 0


def test_edited_copy_equals_arelle(edited) -> None:
    ours = load_filing(edited)
    arelle = load_filing(edited, engine="arelle")
    assert list(map(fact_key, ours.facts)) == list(map(fact_key, arelle.facts))


FACT = b'format="ixt:fixed-zero" scale="6" id="f-433">&#8212;'


@pytest.mark.parametrize("new, message", [
    (b'format="ixt:fixed-zero" scale="999999999999" id="f-433">&#8212;', "scale '999999999999'"),
    (b'scale="6" id="f-433">9E+99999999', "'9E\\+99999999' with scale '6' is not a number"),
    (FACT.replace(b'scale="6"', b'scale="6" decimals="x"'), "decimals 'x'"),
])
def test_out_of_range_numbers_name_file_fact_and_line(new, message, tmp_path) -> None:
    folder = tmp_path / "apple"
    shutil.copytree(APPLE, folder)
    data = (APPLE / HTM).read_bytes()
    if b'decimals="x"' in new:  # the fact's own decimals attribute, replaced
        data = data.replace(b'decimals="-6" name="aapl:EquitySecuritiesFVNIAccumulatedGrossUn'
                            b'realizedGainBeforeTax"', b'name="aapl:EquitySecuritiesFVNIAccumula'
                            b'tedGrossUnrealizedGainBeforeTax"', 1)
    (folder / HTM).write_bytes(data.replace(FACT, new, 1))
    with pytest.raises(FilingError, match=rf"{HTM}: fact f-433 .*line \d+\).*{message}"):
        load_filing(folder / HTM)
