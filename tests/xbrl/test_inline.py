"""The lxml inline XBRL engine: equal to Arelle and to EDGAR's extracted instance on the real
Apple 10-Q, tolerant of harmless deviations (minimally edited copies), clear on bad input."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest

from finlora.errors import FilingError
from finlora.xbrl import Filing, load_filing

from . import inline_sample as sample
from .conftest import FILINGS
from .test_load import fact_key

APPLE = FILINGS / "apple-10q-2025-03-29"
APPLE_HTM = APPLE / "aapl-20250329.htm"


@pytest.fixture(scope="session")
def apple_inline() -> Filing:
    return load_filing(APPLE_HTM)


@pytest.fixture(scope="session")
def apple_inline_arelle() -> Filing:
    return load_filing(APPLE_HTM, engine="arelle")


def _edited(tmp_path: Path, edit) -> Path:  # noqa: ANN001 - bytes -> bytes
    folder = tmp_path / "apple"
    shutil.copytree(APPLE, folder)
    target = folder / APPLE_HTM.name
    target.write_bytes(edit(APPLE_HTM.read_bytes()))
    return target


def test_auto_reads_inline_with_lxml(apple_inline) -> None:
    assert apple_inline.engine == "lxml" and len(apple_inline.facts) == 760


def test_lxml_inline_equals_arelle_fact_for_fact(apple_inline, apple_inline_arelle) -> None:
    assert [fact_key(f) for f in apple_inline.facts] == \
        [fact_key(f) for f in apple_inline_arelle.facts]


def test_lxml_inline_equals_the_extracted_instance(apple_inline, lxml_filings) -> None:
    instance = lxml_filings["apple-10q-2025-03-29"]
    assert Counter(map(fact_key, apple_inline.facts)) == Counter(map(fact_key, instance.facts))
    assert apple_inline.contexts.keys() == instance.contexts.keys()
    assert {u.measure for u in apple_inline.units.values()} == \
        {u.measure for u in instance.units.values()}


@pytest.mark.parametrize("prefix", [b"\n", b"\r\n  \t", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n"])
def test_leading_whitespace_or_bom_loads_identically(prefix, tmp_path, apple_inline) -> None:
    edited = load_filing(_edited(tmp_path, lambda data: prefix + data))
    assert list(map(fact_key, edited.facts)) == list(map(fact_key, apple_inline.facts))


def test_arelle_reads_a_leading_newline_copy(tmp_path, apple_inline_arelle) -> None:
    path = _edited(tmp_path, lambda data: b"\n" + data)
    edited = load_filing(path, engine="arelle")
    assert list(map(fact_key, edited.facts)) == list(map(fact_key, apple_inline_arelle.facts))
    assert path.read_bytes().startswith(b"\n")  # the filing itself is left as it was


def test_html_entities_and_mixed_case_ix_tags(tmp_path, apple_inline) -> None:
    def edit(data: bytes) -> bytes:
        data = data.replace(b"&#160;", b"&nbsp;").replace(b"&#8217;", b"&rsquo;")
        return data.replace(b"ix:nonFraction", b"ix:NonFraction")

    path = _edited(tmp_path, edit)
    assert b"&nbsp;" in path.read_bytes()
    edited = load_filing(path)
    assert list(map(fact_key, edited.facts)) == list(map(fact_key, apple_inline.facts))


def test_xhtml_doctype_without_subset_loads(tmp_path, apple_inline) -> None:
    doctype = (b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
               b'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n')
    path = _edited(tmp_path, lambda data: data.replace(b"?>\n", b"?>\n" + doctype, 1))
    assert doctype in path.read_bytes()
    edited = load_filing(path)
    assert list(map(fact_key, edited.facts)) == list(map(fact_key, apple_inline.facts))


def test_html_entities_with_an_xhtml_doctype(tmp_path, apple_inline) -> None:
    """No parse error tells of the entities here (the external DTD could declare them): they
    are converted all the same."""
    doctype = (b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
               b'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n')
    path = _edited(tmp_path, lambda data: data.replace(b"?>\n", b"?>\n" + doctype, 1)
                   .replace(b"&#160;", b"&nbsp;"))
    edited = load_filing(path)
    assert list(map(fact_key, edited.facts)) == list(map(fact_key, apple_inline.facts))


@pytest.mark.parametrize("old, new, message", [
    (b'format="ixt:num-dot-decimal"', b'format="ixt:num-dotty-decimal"',
     r"fact f-\d+ \([\w-]+:\w+, line \d+\): unknown transform 'ixt:num-dotty-decimal'"),
    (b'continuedAt="f-358-1"', b'continuedAt="f-358-9"',
     r"fact f-358 \(us-gaap:\w+TextBlock, line \d+\): continuedAt 'f-358-9'"),
    (b'contextRef="c-1" name="dei:AmendmentFlag"', b'contextRef="c-999" name="dei:AmendmentFlag"',
     r"fact f-49 \(dei:AmendmentFlag, line \d+\): contextRef 'c-999' names no context"),
])
def test_bad_input_names_file_fact_and_line(old, new, message, tmp_path) -> None:
    path = _edited(tmp_path, lambda data: data.replace(old, new, 1))
    with pytest.raises(FilingError, match=message) as error:
        load_filing(path)
    assert str(path) in str(error.value)


def test_continuation_loop_is_an_error(tmp_path) -> None:
    path = _edited(tmp_path, lambda data: data.replace(b'<ix:continuation id="f-358-1">',
                                                       b'<ix:continuation id="f-358-1" '
                                                       b'continuedAt="f-358-1">', 1))
    with pytest.raises(FilingError, match="loops back"):
        load_filing(path)


@pytest.fixture(scope="session")
def sample_folder(tmp_path_factory) -> Path:
    folder = sample.schema_folder(APPLE, tmp_path_factory.mktemp("sample"))
    (folder / "sample.htm").write_text(sample.DOCUMENT, encoding="utf-8")
    return folder


def test_hand_written_document_gives_the_expected_facts(sample_folder) -> None:
    filing = load_filing(sample_folder / "sample.htm")
    assert [f.id for f in filing.facts] == sample.ORDER
    assert {f.id: (f.concept, f.value) for f in filing.facts} == sample.EXPECTED
    assert filing.footnotes == sample.FOOTNOTES
    nil = next(f for f in filing.facts if f.id == "n7")
    assert nil.is_nil and nil.numeric is None


def test_hand_written_document_equals_arelle(sample_folder) -> None:
    ours = load_filing(sample_folder / "sample.htm")
    arelle = load_filing(sample_folder / "sample.htm", engine="arelle")
    assert list(map(fact_key, ours.facts)) == list(map(fact_key, arelle.facts))


def test_multi_document_set(tmp_path) -> None:
    """Two documents: header and facts in one, the continuations of a text block in the other."""
    folder = sample.schema_folder(APPLE, tmp_path / "set")
    (folder / "a.htm").write_text(sample.HEAD + sample.HEADER + sample.BODY_A + sample.TAIL)
    (folder / "b.htm").write_text(sample.HEAD + sample.BODY_B + sample.TAIL)
    filing = load_filing(folder)
    assert {f.id: (f.concept, f.value) for f in filing.facts} == sample.EXPECTED
    assert {f.source for f in filing.facts} == {"a.htm"}
    with pytest.raises(FilingError, match="continuedAt 'k1'"):  # one document alone
        load_filing(folder / "a.htm")


def test_engines_import_on_their_own() -> None:
    """No import cycle: each engine module imports first, alone, in a fresh process."""
    import subprocess
    import sys

    for module in ("finlora.xbrl.arelle_engine", "finlora.xbrl.inline",
                   "finlora.xbrl.instance_stream", "finlora.xbrl.filing"):
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True, timeout=60)
