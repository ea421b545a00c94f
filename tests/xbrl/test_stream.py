"""The streamed plain-instance reader: chunk boundaries anywhere, facts before their contexts,
bad references named with fact and line."""

from __future__ import annotations

import shutil

import pytest

from finlora.errors import FilingError
from finlora.xbrl import instance_stream, load_filing

from .conftest import FILINGS
from .test_load import fact_key

TESLA = FILINGS / "tesla-10q-2024-06-30"


@pytest.mark.parametrize("chunk", [997, 65536])
def test_small_chunks_give_the_same_facts(chunk, monkeypatch, lxml_filings) -> None:
    monkeypatch.setattr(instance_stream, "CHUNK", chunk)
    for name in ("tesla-10q-2024-06-30", "microsoft-10k-2015-06-30"):  # msft: contexts last
        filing = load_filing(FILINGS / name)
        assert list(map(fact_key, filing.facts)) == list(map(fact_key, lxml_filings[name].facts))


def test_whitespace_longer_than_a_chunk(tmp_path, monkeypatch, lxml_filings) -> None:
    monkeypatch.setattr(instance_stream, "CHUNK", 100)
    folder = tmp_path / "tesla"
    shutil.copytree(TESLA, folder)
    path = folder / "tsla-20240630_htm.xml"
    path.write_bytes(b"\xef\xbb\xbf" + b" \n" * 300 + path.read_bytes())
    filing = load_filing(path)
    assert list(map(fact_key, filing.facts)) == \
        list(map(fact_key, lxml_filings["tesla-10q-2024-06-30"].facts))


def test_fact_with_a_missing_context_is_named(tmp_path) -> None:
    folder = tmp_path / "tesla"
    shutil.copytree(TESLA, folder)
    path = folder / "tsla-20240630_htm.xml"
    data = path.read_bytes()
    at = data.index(b'contextRef="c-1"')
    path.write_bytes(data[:at] + b'contextRef="c-missing"' + data[at + 16:])
    with pytest.raises(FilingError, match=r"fact \S+ \(line \d+\) refers to unknown context "
                                          r"'c-missing'"):
        load_filing(path)


@pytest.mark.parametrize("name", ["tesla-10q-2024-06-30", "microsoft-10k-2015-06-30"])
def test_iter_facts_gives_the_loaded_facts(name, monkeypatch, lxml_filings) -> None:
    from finlora.xbrl import find_entry_point, iter_facts

    monkeypatch.setattr(instance_stream, "CHUNK", 65536)
    streamed = list(iter_facts(find_entry_point(FILINGS / name)))
    assert sorted(map(fact_key, streamed)) == sorted(map(fact_key, lxml_filings[name].facts))


def test_facts_before_the_schema_reference_get_their_labels(tmp_path, lxml_filings) -> None:
    folder = tmp_path / "tesla"
    shutil.copytree(TESLA, folder)
    path = folder / "tsla-20240630_htm.xml"
    data = path.read_bytes()
    ref = b'<link:schemaRef xlink:href="tsla-20240630.xsd" xlink:type="simple"/>'
    end = data.rindex(b"</xbrl>")
    path.write_bytes(data[:end].replace(ref, b"") + ref + data[end:])  # the schema comes last
    facts = load_filing(path).facts
    assert sum(fact.label is not None for fact in facts) > 1000
    assert list(map(fact_key, facts)) == \
        list(map(fact_key, lxml_filings["tesla-10q-2024-06-30"].facts))


def test_kept_objects_skip_the_young_generations() -> None:
    import gc

    from finlora.xbrl.gc_paused import gc_paused

    with gc_paused(keep=True):
        built = [{"values": [n]} for n in range(1000)]
    oldest = {id(item) for item in gc.get_objects(generation=2)}
    assert all(id(item) in oldest for item in built)
    gc.freeze()  # a caller's frozen objects stay frozen
    try:
        frozen = gc.get_freeze_count()
        with gc_paused(keep=True):
            more = [{"values": [n]} for n in range(10)]
        assert gc.get_freeze_count() == frozen and more
    finally:
        gc.unfreeze()


def _with_doctype(folder, doctype: bytes):  # noqa: ANN202 - the edited instance's path
    path = folder / "tsla-20240630_htm.xml"
    data = path.read_bytes()
    head = data.index(b"?>") + 2
    path.write_bytes(data[:head] + b"\n" + doctype + data[head:])
    return path


@pytest.mark.parametrize("chunk", [64, 65536])
@pytest.mark.parametrize("system", ["http://www.xbrl.org/2003/xbrl-instance.dtd", "LOCAL"])
def test_doctype_without_subset_loads(system, chunk, tmp_path, monkeypatch,
                                      lxml_filings) -> None:
    """A bare DOCTYPE is read as the inline reader reads one: its DTD is never loaded (a URL
    would be a network load; a local DTD, here malformed outside the filing's folder, would
    fail to parse if it were read)."""
    monkeypatch.setattr(instance_stream, "CHUNK", chunk)
    if system == "LOCAL":
        dtd = tmp_path / "elsewhere.dtd"
        dtd.write_bytes(b"<!ELEMENT oops ((( not a DTD\n")
        system = str(dtd)
    folder = tmp_path / "tesla"
    shutil.copytree(TESLA, folder)
    path = _with_doctype(folder, b'<!DOCTYPE xbrl SYSTEM "%s">' % system.encode())
    filing = load_filing(path)
    assert list(map(fact_key, filing.facts)) == \
        list(map(fact_key, lxml_filings["tesla-10q-2024-06-30"].facts))


def test_doctype_with_subset_is_refused(tmp_path) -> None:
    folder = tmp_path / "tesla"
    shutil.copytree(TESLA, folder)
    path = _with_doctype(folder, b'<!DOCTYPE xbrl [<!ATTLIST xbrl a CDATA "b">]>')
    with pytest.raises(FilingError, match="DTD") as error:
        load_filing(path)
    assert str(path) in str(error.value)
