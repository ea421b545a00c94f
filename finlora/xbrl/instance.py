"""The fast path: a plain XBRL instance read directly with lxml (no taxonomy needed)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from lxml import etree
from pydantic import BaseModel

from finlora.errors import FilingError
from finlora.xbrl.types import Context, Fact, Unit

XBRLI = "http://www.xbrl.org/2003/instance"
XBRLDI = "http://xbrl.org/2006/xbrldi"
LINK = "http://www.xbrl.org/2003/linkbase"
XLINK = "http://www.w3.org/1999/xlink"
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
NIL_TRUE = ("true", "1")  # the xsi:nil values that make a fact nil
ISO4217 = "http://www.xbrl.org/2003/iso4217"


def qname_text(element: etree._Element, text: str) -> str:
    """A QName written in element content or an attribute, normalised to `prefix:local` with the
    prefix the document binds to its namespace."""
    text = text.strip()
    return text if ":" in text else f"{element.prefix or ''}:{text}".lstrip(":")


def measure_name(element: etree._Element, text: str) -> str:
    """A unit measure by namespace: ISO 4217 → currency code, xbrli → local name."""
    text = text.strip()
    prefix, _, local = text.rpartition(":")
    namespace = element.nsmap.get(prefix or None)
    if namespace in (ISO4217, XBRLI):
        return local
    return text


_DATES: dict[str, date] = {}
_ENTITY, _PERIOD, _SCENARIO = f"{{{XBRLI}}}entity", f"{{{XBRLI}}}period", f"{{{XBRLI}}}scenario"
_IDENTIFIER, _SEGMENT = f"{{{XBRLI}}}identifier", f"{{{XBRLI}}}segment"
_FOREVER = f"{{{XBRLI}}}forever"
_EXPLICIT, _TYPED = f"{{{XBRLDI}}}explicitMember", f"{{{XBRLDI}}}typedMember"
_CONTEXT_FIELDS = set(Context.model_fields)


# A model instance from typed values, as `model_construct` builds it but without its per-call
# overhead: new(Model), then its __dict__, fields-set, extra and private slots, each set by
# the descriptor `object.__setattr__` would find along the MRO (here without the lookup).
_SET_DICT, _SET_FIELDS_SET, _SET_EXTRA, _SET_PRIVATE = (vars(BaseModel)[name].__set__ for name in (
    "__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__"))
_new = object.__new__


def _date(text: str, cid: str, path: Path) -> date:
    """A period date (a dateTime keeps its date part), cached by its text: a filing has few."""
    known = _DATES.get(text)
    if known is not None:
        return known
    try:
        parsed = date.fromisoformat(text.strip()[:10])
    except ValueError as exc:
        raise FilingError(path, f"bad date {text!r} in context {cid}") from exc
    if len(_DATES) < 100_000:
        _DATES[text] = parsed
    return parsed


def _members(holder: etree._Element, dims: dict[str, str]) -> None:
    for member in holder[:]:  # a slice: cheaper than iterating
        tag = member.tag
        if tag == _EXPLICIT:
            dimension = member.get("dimension", "").strip()
            value = (member.text or "").strip()
            dims[dimension if ":" in dimension else qname_text(member, dimension)] = (
                value if ":" in value else qname_text(member, value))
        elif tag == _TYPED:
            dims[qname_text(member, member.get("dimension", ""))] = "".join(
                member.itertext()).strip()


_START, _END, _INSTANT = (f"{{{XBRLI}}}{name}" for name in ("startDate", "endDate", "instant"))
_DATE_TAGS = (_START, _END, _INSTANT)


def parse_context(element: etree._Element, path: Path) -> Context:
    """A context element → `Context` (one pass over its few elements: the hot loop of a load,
    with the facts)."""
    cid = element.get("id") or ""
    entity = scheme = period = None
    dims: dict[str, str] = {}
    for child in element[:]:  # slices: cheaper than iterating
        tag = child.tag
        if tag == _ENTITY:
            for part in child[:]:
                tag = part.tag
                if tag == _IDENTIFIER:
                    entity, scheme = (part.text or "").strip(), part.get("scheme")
                elif tag == _SEGMENT:
                    _members(part, dims)
        elif tag == _PERIOD:
            period = child
        elif tag == _SCENARIO:
            _members(child, dims)
    if entity is None or period is None:
        raise FilingError(path, f"context {cid!r} lacks an entity or a period")
    start = end = instant = None
    forever = False
    for part in period[:]:
        tag = part.tag
        if tag in _DATE_TAGS:
            text = part.text or ""
            day = _DATES.get(text) or _date(text, cid, path)
            if tag == _END:
                end = day
            elif tag == _START:
                start = day
            else:
                instant = day
        elif tag == _FOREVER:
            forever = True
    context = _new(Context)  # typed above: no validation
    _SET_DICT(context, {"id": cid, "entity": entity, "scheme": scheme, "period_start": start,
                       "period_end": end, "instant": instant, "forever": forever,
                       "dimensions": dims})
    _SET_FIELDS_SET(context, _CONTEXT_FIELDS)
    _SET_EXTRA(context, None)
    _SET_PRIVATE(context, None)
    return context


def parse_unit(element: etree._Element) -> Unit:
    """A unit element → `Unit` with a normalised measure (`USD`, `USD/shares`...)."""
    divide = element.find(f"{{{XBRLI}}}divide")
    if divide is not None:
        num = [measure_name(m, m.text or "") for m in divide.iterfind(
            f"{{{XBRLI}}}unitNumerator/{{{XBRLI}}}measure")]
        den = [measure_name(m, m.text or "") for m in divide.iterfind(
            f"{{{XBRLI}}}unitDenominator/{{{XBRLI}}}measure")]
        measure = "*".join(num) + "/" + "*".join(den)
    else:
        measure = "*".join(measure_name(m, m.text or "")
                           for m in element.iterfind(f"{{{XBRLI}}}measure"))
    return Unit(id=element.get("id") or "", measure=measure)


def parse_decimal(text: str) -> Decimal | None:
    """A numeric fact's value text as a finite Decimal (surrounding whitespace allowed, as
    `Decimal` allows it); None when it is not one."""
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


_SPLIT: dict[str, tuple[str, str]] = {}
DECIMALS: dict[str | None, int | None] = {None: None, "": None, "INF": None}


def _where(fact: str, line: int | None) -> str:
    return f"fact {fact}" + (f" (line {line})" if line else "")


def make_fact(*, concept: str, namespace: str, value: str, context: Context, unit: Unit | None,
              decimals: str | None, is_nil: bool, fact_id: str | None, source: str,
              path: Path, label: str | None = None, line: int | None = None) -> Fact:
    """Build a `Fact` from its parts (shared by the lxml and Arelle engines); `line` (the
    fact's, where known) goes into error messages."""
    split = _SPLIT.get(concept)
    if split is None:
        prefix, _, name = concept.rpartition(":")
        split = (prefix, name)
        if len(_SPLIT) < 100_000:
            _SPLIT[concept] = split
    numeric = None
    if unit is not None and not is_nil:
        numeric = parse_decimal(value)
        if numeric is None:
            raise FilingError(path, f"{_where(fact_id or concept, line)} has unit {unit.id} "
                              f"but value {value[:40]!r} is not a number")
    try:
        dec = DECIMALS[decimals]
    except KeyError:
        try:
            dec = int(decimals)  # type: ignore[arg-type]
        except ValueError as exc:
            raise FilingError(path, f"{_where(fact_id or concept, line)} has decimals "
                              f"{decimals!r}, not an integer or INF") from exc
        if len(DECIMALS) < 1000:  # a document writes few; bounded whatever it writes
            DECIMALS[decimals] = dec
    c = context.__dict__
    return new_fact({
        "concept": concept, "name": split[1], "prefix": split[0], "namespace": namespace,
        "label": label, "value": value, "numeric": numeric,
        "unit": unit.measure if unit is not None else None, "decimals": dec,
        "period_start": c["period_start"], "period_end": c["period_end"],
        "instant": c["instant"], "entity": c["entity"],
        "dimensions": c["dimensions"], "is_nil": is_nil, "id": fact_id,
        "context_id": c["id"], "source": source,
    })


FACT_FIELDS = set(Fact.model_fields)


class _Fields:
    """A plain object: the `__dict__` of every instance shares one table of keys (CPython's
    split-table dicts), and so do copies of it. A fact's dict copied from one is its 18
    values, not 18 keys and values: 170 bytes less a fact, and less to allocate."""


def concept_fields(concept: str, namespace: str, label: object, source: str) -> dict:
    """Every field of a fact in declaration order, those of its concept filled in (`label`:
    its text, None or a `PendingLabel`): what a reader copies, then updates, for each fact."""
    prefix, _, name = concept.rpartition(":")
    holder = _Fields()
    for field, value in (
            ("concept", concept), ("name", name), ("prefix", prefix), ("namespace", namespace),
            ("label", label), ("value", ""), ("numeric", None), ("unit", None),
            ("decimals", None), ("period_start", None), ("period_end", None),
            ("instant", None), ("entity", ""), ("dimensions", {}), ("is_nil", False),
            ("id", None), ("context_id", ""), ("source", source)):
        setattr(holder, field, value)
    return vars(holder)


def context_fields(context: Context) -> dict:
    """A fact's fields that come from its context."""
    c = context.__dict__
    return {"period_start": c["period_start"], "period_end": c["period_end"],
            "instant": c["instant"], "entity": c["entity"], "dimensions": c["dimensions"],
            "context_id": c["id"]}


def new_fact(values: dict) -> Fact:
    """A `Fact` from already-typed values (every field, in declaration order), as
    `Fact.model_construct` would build it but without its per-call overhead and with one
    shared fields-set: the hot loop of a load, and most of a fact's memory otherwise."""
    fact = _new(Fact)
    _SET_DICT(fact, values)
    _SET_FIELDS_SET(fact, FACT_FIELDS)
    _SET_EXTRA(fact, None)
    _SET_PRIVATE(fact, None)
    return fact
