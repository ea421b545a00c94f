"""Plain XBRL instances, streamed: facts are produced as the parser reaches them and each
element is released once read, so memory holds the facts, never the document tree.

Contexts and units may come before or after the facts that use them (facts that arrive
first wait for the end of the document); the schema reference gives the labels and
calculations. The same checks as `safe_xml.parse_xml` apply (size limit, no DTD subset or
entity declarations, no network, leading whitespace / BOM tolerated).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from lxml import etree

from finlora.errors import FilingError
from finlora.xbrl.gc_paused import gc_paused
from finlora.xbrl.instance import (
    DECIMALS,
    FACT_FIELDS,
    LINK,
    XBRLI,
    XLINK,
    XSI_NIL,
    make_fact,
    parse_context,
    parse_unit,
)
from finlora.xbrl.linkbases import read_linkbases
from finlora.xbrl.parts import FilingParts
from finlora.xbrl.safe_xml import (
    check_header,
    check_size,
    max_filing_bytes,
    parse_xml,
    refuse_dtd_subset,
    resolve_local,
)
from finlora.xbrl.stubs import check_href, check_references
from finlora.xbrl.types import Calculation, Context, Fact, Unit

CHUNK = 1 << 16  # small blocks reuse freed heap memory (1 MiB blocks are fresh pages each)
_MISSING = object()
_new, _set = object.__new__, object.__setattr__
_CONTEXT, _UNIT = f"{{{XBRLI}}}context", f"{{{XBRLI}}}unit"
_SCHEMA_REF, _LINKBASE_REF = f"{{{LINK}}}schemaRef", f"{{{LINK}}}linkbaseRef"
_HREF, _ROOT = f"{{{XLINK}}}href", f"{{{XBRLI}}}xbrl"


def _parser() -> etree.XMLPullParser:
    """Reports only the start of an xbrli:xbrl root (an event per element would keep every
    element alive): the root's children are taken from the tree as they complete."""
    return etree.XMLPullParser(events=("start",), tag=_ROOT, resolve_entities=False,
                               no_network=True, load_dtd=False, dtd_validation=False,
                               huge_tree=False, remove_comments=True, remove_pis=True,
                               collect_ids=False)  # no table of every id attribute


class _Reader:
    """Collects contexts, units, facts and the schema while the document streams by."""

    def __init__(self, path: Path):
        self.path = path
        self.contexts: dict[str, Context] = {}
        self.units: dict[str, Unit] = {}
        self.facts: list[Fact | None] = []
        self.waiting: list[tuple[int, tuple]] = []  # facts read before their context / unit
        self.name = path.name
        self.names: dict[str, tuple[str, str]] = {}  # tag → (concept, namespace)
        self.schema: Path | None = None
        self.labels: dict[str, str] = {}
        self.calculations: list[Calculation] = []

    def element(self, element: etree._Element) -> None:
        """One child of the root, complete."""
        tag = element.tag
        if tag == _CONTEXT:
            context = parse_context(element, self.path)
            self.contexts[context.id] = context
        elif tag == _UNIT:
            unit = parse_unit(element)
            self.units[unit.id] = unit
        elif self.fact(element):
            pass
        elif tag in (_SCHEMA_REF, _LINKBASE_REF):
            href = element.get(_HREF, "")
            check_href(self.path, href)
            if tag == _SCHEMA_REF and self.schema is None:
                target = resolve_local(self.path, href)
                if target is not None and target.is_file():
                    schema = parse_xml(target, blank_text=False)
                    check_references(target, schema)
                    self.schema = target
                    self.labels, self.calculations = read_linkbases(target, schema)
        elif isinstance(tag, str) and len(element):  # a tuple: its items are facts
            for item in element.iter():
                if item is not element:
                    self.fact(item)

    def fact(self, element: etree._Element) -> bool:
        """Build the fact now if its context and unit are known (the common case, inline: the
        hot loop of a load); else keep its fields. False if not a fact (no contextRef)."""
        context_ref = unit_ref = decimals = fact_id = nil = None
        for key, text in element.items():  # one call for all attributes: cheaper than get()s
            if key == "contextRef":
                context_ref = text
            elif key == "unitRef":
                unit_ref = text
            elif key == "decimals":
                decimals = text
            elif key == "id":
                fact_id = text
            elif key == XSI_NIL:
                nil = text
        if context_ref is None:
            return False
        tag = element.tag
        names = self.names.get(tag)
        if names is None:
            namespace, _, local = tag[1:].partition("}")
            prefix = element.prefix
            concept = f"{prefix}:{local}" if prefix else local
            names = self.names[tag] = (concept, namespace, *concept.rpartition(":")[::2])
        is_nil = nil in ("true", "1")
        value = "" if is_nil else ("".join(element.itertext()) if len(element) else
                                   (element.text or "")).strip()
        context = self.contexts.get(context_ref)
        unit = self.units.get(unit_ref) if unit_ref else None
        dec = DECIMALS.get(decimals, _MISSING)
        numeric = None
        if unit is not None and not is_nil:
            try:  # what Decimal reads as a finite number, make_fact reads the same way
                numeric = Decimal(value)
            except ArithmeticError:
                numeric = _MISSING
            else:
                if not numeric.is_finite():
                    numeric = _MISSING
        if context is None or (unit_ref and unit is None) or dec is _MISSING or (
                numeric is _MISSING):
            fields = (names[0], names[1], value, context_ref, unit_ref, decimals, is_nil,
                      fact_id, element.sourceline)
            if context is None or (unit_ref and unit is None):
                self.waiting.append((len(self.facts), fields))
                self.facts.append(None)
            else:  # make_fact has the rules (and the error messages)
                self.facts.append(self.build(fields, context))
            return True
        c = context.__dict__
        fact = _new(Fact)
        _set(fact, "__dict__", {
            "concept": names[0], "name": names[3], "prefix": names[2], "namespace": names[1],
            "label": self.labels.get(names[0]), "value": value, "numeric": numeric,
            "unit": unit.measure if unit is not None else None, "decimals": dec,
            "period_start": c["period_start"], "period_end": c["period_end"],
            "instant": c["instant"], "entity": c["entity"], "dimensions": c["dimensions"],
            "is_nil": is_nil, "id": fact_id, "context_id": c["id"], "source": self.name})
        _set(fact, "__pydantic_fields_set__", FACT_FIELDS)
        _set(fact, "__pydantic_extra__", None)
        _set(fact, "__pydantic_private__", None)
        self.facts.append(fact)
        return True

    def build(self, fields: tuple, context: Context) -> Fact:
        concept, namespace, value, _, unit_ref, decimals, is_nil, fact_id, line = fields
        unit = self.units.get(unit_ref) if unit_ref else None
        if unit_ref and unit is None:
            raise FilingError(self.path, f"fact {fact_id or concept} (line {line}) refers to "
                              f"unknown unit {unit_ref!r}")
        return make_fact(concept=concept, namespace=namespace, value=value, context=context,
                         unit=unit, decimals=decimals, is_nil=is_nil, fact_id=fact_id,
                         source=self.name, path=self.path, label=self.labels.get(concept),
                         line=line)

    def finish(self) -> list[Fact]:
        for index, fields in self.waiting:
            context = self.contexts.get(fields[3])
            if context is None:
                raise FilingError(self.path, f"fact {fields[7] or fields[0]} (line {fields[8]}) "
                                  f"refers to unknown context {fields[3]!r}")
            self.facts[index] = self.build(fields, context)
        self.waiting = []
        facts: list[Fact] = self.facts  # type: ignore[assignment]
        if self.labels and any(f.label is None and f.concept in self.labels for f in facts):
            for fact in facts:  # facts read before the schema reference: add their labels
                fact.__dict__["label"] = self.labels.get(fact.concept)
        return facts


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


def _stream(source: Path, reader: _Reader) -> Iterator[None]:
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
    reader = _Reader(source)
    with gc_paused():  # the whole load (per chunk would let the collector walk each chunk)
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
    reader = _Reader(source)
    for _ in _stream(source, reader):
        ready = [fact for fact in reader.facts if fact is not None]
        reader.facts = []  # waiting facts keep stale indices: they are built below, in order
        yield from ready
    for _, fields in reader.waiting:
        context = reader.contexts.get(fields[3])
        if context is None:
            raise FilingError(source, f"fact {fields[7] or fields[0]} (line {fields[8]}) "
                              f"refers to unknown context {fields[3]!r}")
        yield reader.build(fields, context)


def _drain(reader: _Reader, root: etree._Element, keep_last: bool) -> None:
    """Read and release the root's complete children (the last may still be growing). No
    element proxy outlives its reading: deleting a child that Python still holds makes lxml
    copy it into a document of its own, which costs more than the whole parse."""
    count = len(root) - 1 if keep_last else len(root)
    if count <= 0:
        return
    handle = reader.element
    children = root.iterchildren()
    for _ in range(count):
        handle(next(children))
    del children
    del root[:count]


def _refuse_dtd(source: Path) -> None:
    """The in-memory path gives the precise refusal (and converts HTML entities)."""
    parse_xml(source)
