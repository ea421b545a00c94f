"""Plain XBRL instances, streamed: facts are produced as the parser reaches them and each
element is released once read, so memory holds the facts, never the document tree.

Contexts and units may come before or after the facts that use them (facts that arrive
first wait for the end of the document); the schema reference gives the labels and
calculations. The same checks as `safe_xml.parse_xml` apply (size limit, no DTD subset or
entity declarations, no network, leading whitespace / BOM tolerated).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from finlora.errors import FilingError
from finlora.xbrl.gc_paused import gc_paused
from finlora.xbrl.instance import XBRLI
from finlora.xbrl.instance_reader import Reader
from finlora.xbrl.parts import FilingParts
from finlora.xbrl.safe_xml import (
    check_header,
    check_size,
    max_filing_bytes,
    parse_xml,
    refuse_dtd_subset,
)
from finlora.xbrl.types import Fact

CHUNK = 1 << 16  # small blocks reuse freed heap memory (1 MiB blocks are fresh pages each)
_ROOT = f"{{{XBRLI}}}xbrl"


def _parser() -> etree.XMLPullParser:
    """Reports only the start of an xbrli:xbrl root (an event per element would keep every
    element alive): the root's children are taken from the tree as they complete."""
    return etree.XMLPullParser(events=("start",), tag=_ROOT, resolve_entities=False,
                               no_network=True, load_dtd=False, dtd_validation=False,
                               huge_tree=False, remove_comments=True, remove_pis=True)
    # never collect_ids=False: libxml2 then loads a DOCTYPE's external DTD (opening a local
    # file, or failing with "Attempt to load network entity" on a URL)


def _chunks(path: Path):  # noqa: ANN202 - an iterator of bytes
    limit = max_filing_bytes()
    check_size(path, limit)
    with path.open("rb") as handle:
        head = handle.read(CHUNK).lstrip()
        if head.startswith(b"\xef\xbb\xbf"):
            head = head[3:].lstrip()
        while not head:  # whitespace beyond the first chunk
            block = handle.read(CHUNK)
            if not block:
                raise FilingError(path, "file holds only whitespace")
            head = block.lstrip()
        check_header(head, path)
        read = len(head)
        yield head
        for block in iter(lambda: handle.read(CHUNK), b""):
            read += len(block)
            if read > limit:
                raise FilingError(path, f"file is over the {limit:,}-byte limit "
                                  "(set FINLORA_MAX_FILING_BYTES to raise it)")
            yield block


def _stream(source: Path, reader: Reader) -> Iterator[None]:
    """Feed the document to the parser chunk by chunk; after each chunk the reader has taken
    (and the tree released) every complete child of the root."""
    parser = _parser()
    root = None
    try:
        for block in _chunks(source):
            with gc_paused():  # never across a yield: the caller's code runs as usual
                parser.feed(block)
                if root is None:
                    for _, element in parser.read_events():
                        if element.getparent() is None:
                            root = element
                if root is not None:
                    _drain(reader, root, keep_last=True)
            if root is not None:
                yield
        top = parser.close()
        if root is None and top is not None:
            raise FilingError(source, f"not an XBRL instance (root element is {top.tag!r})")
    except etree.XMLSyntaxError as exc:
        if "Entity" in str(exc) or "DOCTYPE" in str(exc) or "DTD" in str(exc):
            _refuse_dtd(source)
        raise FilingError(source, f"malformed XML: {exc.msg} (line {exc.lineno})") from exc
    except (ValueError, LookupError) as exc:
        raise FilingError(source, f"cannot decode document: {exc}") from exc
    if root is None:
        raise FilingError(source, "no root element")
    refuse_dtd_subset(root, source)
    with gc_paused():
        _drain(reader, root, keep_last=False)
    yield


def load_instance(source: Path) -> FilingParts:
    """Stream a plain instance into `FilingParts`; bad input raises `FilingError`."""
    reader = Reader(source)
    with gc_paused(keep=True):  # the whole load (per chunk would let the collector walk each)
        for _ in _stream(source, reader):
            pass
        facts = reader.finish()
    return FilingParts(path=source, facts=facts, contexts=reader.contexts,
                       units=reader.units, labels=reader.labels,
                       calculations=reader.calculations, engine="lxml")


def iter_facts(path: str | Path) -> Iterator[Fact]:
    """The facts of a plain instance one by one, none kept: memory holds the contexts and
    units, not the facts (facts that come before their context, unusual in EDGAR filings,
    wait and come last).

        for fact in iter_facts("big-instance.xml"):
            ...
    """
    source = Path(path)
    reader = Reader(source)
    for _ in _stream(source, reader):
        ready = [fact for fact in reader.facts if fact is not None]
        reader.facts = []  # waiting facts keep stale indices: they are built below, in order
        yield from ready
    for _, fields in reader.waiting:
        yield reader.waited(fields)


def _drain(reader: Reader, root: etree._Element, keep_last: bool) -> None:
    """Read and release the root's complete children (the last may still be growing). No
    element proxy outlives its reading: deleting a child that Python still holds makes lxml
    copy it into a document of its own, which costs more than the whole parse."""
    count = len(root) - 1 if keep_last else len(root)
    if count <= 0:
        return
    reader.read(root[:count])  # a slice: cheaper than iterating
    del root[:count]


def _refuse_dtd(source: Path) -> None:
    """The in-memory path gives the precise refusal (and converts HTML entities)."""
    parse_xml(source)
