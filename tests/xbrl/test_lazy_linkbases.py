"""Labels and calculations of an inline load, read from their linkbases on first use: the same
texts as the label file gives (read here with the standard library, not finlora), the
published balance sheet's sums, each file read once, clear errors."""

from __future__ import annotations

import copy
import pickle
import shutil
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import finlora.xbrl.linkbases as linkbases
from finlora.errors import FilingError
from finlora.xbrl import load_filing
from finlora.xbrl.query import fact_record
from finlora.xbrl.types import PendingLabel

from .conftest import FILINGS

APPLE = FILINGS / "apple-10q-2025-03-29"
APPLE_HTM = APPLE / "aapl-20250329.htm"
LABELS = APPLE / "aapl-20250329_lab.xml"
CALCULATIONS = APPLE / "aapl-20250329_cal.xml"
_LINK, _XLINK = "{http://www.xbrl.org/2003/linkbase}", "{http://www.w3.org/1999/xlink}"
_ROLES = ("http://www.xbrl.org/2003/role/label", "http://www.xbrl.org/2003/role/terseLabel")


def label_file_labels(path: Path) -> dict[str, str]:
    """Concept → standard label (terse where none) of a label linkbase, read with ElementTree."""
    found: dict[tuple[str, str], str] = {}
    for link in ET.parse(path).getroot().iter(f"{_LINK}labelLink"):
        concepts = {loc.get(f"{_XLINK}label"): loc.get(f"{_XLINK}href").split("#")[1]
                    for loc in link.iter(f"{_LINK}loc")}
        texts: dict[str, list[tuple[str, str]]] = {}
        for label in link.iter(f"{_LINK}label"):
            texts.setdefault(label.get(f"{_XLINK}label"), []).append(
                (label.get(f"{_XLINK}role"), (label.text or "").strip()))
        for arc in link.iter(f"{_LINK}labelArc"):
            concept = concepts[arc.get(f"{_XLINK}from")].replace("_", ":", 1)
            for role, text in texts.get(arc.get(f"{_XLINK}to"), []):
                if role in _ROLES:
                    found.setdefault((concept, role), text)
    return {concept: found.get((concept, _ROLES[0]), found.get((concept, _ROLES[1])))
            for concept, _ in found}


@pytest.fixture(scope="module")
def expected() -> dict[str, str]:
    return label_file_labels(LABELS)


def test_the_label_file_is_read_on_first_use_only(monkeypatch, expected) -> None:
    reads: list[Path] = []
    read_labels = linkbases.read_labels
    monkeypatch.setattr(linkbases, "read_labels", lambda path: reads.append(path) or
                        read_labels(path))
    filing = load_filing(APPLE_HTM)
    assert reads == []  # the load itself never parsed it
    assert all(isinstance(f.__dict__["label"], PendingLabel) for f in filing.facts)
    assert [f.label for f in filing.facts] == [expected.get(f.concept) for f in filing.facts]
    assert filing.labels == expected
    assert reads == [LABELS]  # once, whatever asked


def test_hand_checked_labels(expected) -> None:
    by_concept = {f.concept: f for f in load_filing(APPLE_HTM).facts}
    assert by_concept["us-gaap:Assets"].label == "Assets" == expected["us-gaap:Assets"]
    assert by_concept["dei:AmendmentFlag"].label == "Amendment Flag"
    assert by_concept["us-gaap:RepaymentsOfLongTermDebt"].label == "Repayments of Long-Term Debt"


@pytest.mark.parametrize("first", ["model_dump", "json", "record", "dict", "pickle", "deepcopy",
                                   "repr", "equal"])
def test_every_way_to_see_a_fact_gives_the_label_text(first, expected) -> None:
    """Whatever touches a fact first, the label comes out as its text (never a placeholder)."""
    fact = next(f for f in load_filing(APPLE_HTM).facts if f.concept == "us-gaap:Assets")
    text = expected["us-gaap:Assets"]
    seen = {"model_dump": lambda: fact.model_dump()["label"],
            "json": lambda: fact.model_dump_json().split('"label":"')[1].split('"')[0],
            "record": lambda: fact_record(fact)["label"],
            "dict": lambda: dict(fact)["label"],
            "pickle": lambda: pickle.loads(pickle.dumps(fact)).__dict__["label"],
            "deepcopy": lambda: copy.deepcopy(fact).__dict__["label"],
            "repr": lambda: repr(fact).split("label=")[1].split(", value=")[0],
            "equal": lambda: fact == fact.model_copy(update={"label": text}) and text}[first]()
    assert seen == (repr(text) if first == "repr" else text)
    assert type(seen) is str


def test_threads_read_the_labels_once(monkeypatch, expected) -> None:
    reads: list[Path] = []
    read_labels = linkbases.read_labels
    monkeypatch.setattr(linkbases, "read_labels", lambda path: reads.append(path) or
                        read_labels(path))
    facts = list(load_filing(APPLE_HTM).facts)
    results: list[list[str | None]] = []
    threads = [threading.Thread(target=lambda: results.append([f.label for f in facts]))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [[expected.get(f.concept) for f in facts]] * 8
    assert reads == [LABELS]


def test_calculations_are_read_on_first_use_only(monkeypatch) -> None:
    reads: list[Path] = []
    read = linkbases.read_calculations
    monkeypatch.setattr(linkbases, "read_calculations", lambda path: reads.append(path) or
                        read(path))
    filing = load_filing(APPLE_HTM)
    assert reads == []
    sums = {c.parent: c.children for c in filing.calculations}
    # Apple's published balance sheet: total assets = current + non-current; total
    # liabilities and shareholders' equity = liabilities + commitments + equity
    assert sums["us-gaap:Assets"] == [("us-gaap:AssetsCurrent", 1.0),
                                      ("us-gaap:AssetsNoncurrent", 1.0)]
    assert sums["us-gaap:LiabilitiesAndStockholdersEquity"] == [
        ("us-gaap:Liabilities", 1.0), ("us-gaap:CommitmentsAndContingencies", 1.0),
        ("us-gaap:StockholdersEquity", 1.0)]
    assert filing.calculations is filing.calculations and reads == [CALCULATIONS]


def _broken(tmp_path: Path, data: bytes, name: str = LABELS.name) -> Path:
    folder = tmp_path / "apple"
    shutil.copytree(APPLE, folder)
    (folder / name).write_bytes(data)
    return folder / APPLE_HTM.name


def test_a_broken_calculation_file_is_an_error_naming_it_when_read(tmp_path) -> None:
    path = _broken(tmp_path, CALCULATIONS.read_bytes()[:30_000], CALCULATIONS.name)
    filing = load_filing(path)
    for _ in range(2):
        with pytest.raises(FilingError, match="malformed XML") as error:
            filing.calculations  # noqa: B018
        assert error.value.path == str(path.parent / CALCULATIONS.name)


def test_a_broken_label_file_is_an_error_naming_it_when_labels_are_read(tmp_path) -> None:
    path = _broken(tmp_path, LABELS.read_bytes()[:200_000])  # cut in the middle of an element
    filing = load_filing(path)  # facts and values need no labels
    assert len(filing.facts) == 760
    label_file = str(path.parent / LABELS.name)
    for read in (lambda: filing.facts[0].label, lambda: filing.labels,
                 lambda: fact_record(filing.facts[5]), lambda: filing.facts[0].model_dump()):
        with pytest.raises(FilingError, match="malformed XML") as error:
            read()
        assert error.value.path == label_file  # each time, not only the first


@pytest.mark.parametrize("data, message", [(b"", "file is empty"),
                                           (b"<!DOCTYPE x [<!ENTITY a 'b'>]><x/>", "DTD")])
def test_label_file_errors(tmp_path, data, message) -> None:
    path = _broken(tmp_path, data)
    with pytest.raises(FilingError, match=message) as error:  # the empty file: at the load
        load_filing(path).labels  # noqa: B018
    assert error.value.path == str(path.parent / LABELS.name)


def test_cli_broken_label_file_exit_3_and_no_output(tmp_path) -> None:
    path = _broken(tmp_path, LABELS.read_bytes()[:200_000])
    out = tmp_path / "facts.jsonl"
    for extra in ([], ["-o", str(out)]):
        result = subprocess.run([sys.executable, "-m", "finlora", "facts", str(path), *extra],
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 3  # bad input (finlora/errors.py)
        assert result.stdout == ""  # nothing half-written
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and LABELS.name in lines[0] and "malformed XML" in lines[0]
    assert not out.exists()
