"""The lxml inline XBRL engine (Inline XBRL 1.1 and 1.0): .htm documents → facts, no Arelle.

    from finlora.xbrl.inline import load_inline
    parts = load_inline([Path("aapl-20250329.htm")])

Facts equal Arelle's (concept, context, unit, value after transforms, decimals, id), in
document order, for a single document or a multi-document set (contexts, units,
continuations and footnotes shared across the set). Labels and calculations are read from
their linkbases on first use (`linkbases.read_linkbases_lazily`), not during the load.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from lxml import etree

from finlora.errors import FilingError
from finlora.xbrl.gc_paused import gc_paused
from finlora.xbrl.inline.document import InlineSet, is_inline_root, read_inline_set
from finlora.xbrl.inline.footnotes import read_footnotes
from finlora.xbrl.inline.values import numeric_text, text_value, where
from finlora.xbrl.instance import (
    DECIMALS,
    NIL_TRUE,
    XSI_NIL,
    concept_fields,
    context_fields,
    make_fact,
    new_fact,
    parse_decimal,
)
from finlora.xbrl.linkbases import LazyLabels, read_linkbases_lazily
from finlora.xbrl.parts import FilingParts
from finlora.xbrl.safe_xml import parse_xml, resolve_local
from finlora.xbrl.stubs import check_references
from finlora.xbrl.types import Context, Fact, Unit

__all__ = ["is_inline_root", "load_inline"]


def load_inline(paths: list[Path]) -> FilingParts:
    """Read an inline document set with lxml; bad input raises `FilingError` naming the file,
    the fact and its line."""
    with gc_paused(keep=True):  # the filing's objects go to the oldest generation, as plain
        found = read_inline_set(paths)
        schema, schema_root = _schema(found)
        labels, calculations = read_linkbases_lazily(schema, schema_root)
        warnings: list[str] = []
        facts = _facts(found, labels, warnings)
        footnotes = read_footnotes(found, warnings)
    return FilingParts(path=paths[0], facts=facts, contexts=found.contexts, units=found.units,
                       labels=labels or {}, calculations=calculations or [], engine="lxml",
                       footnotes=footnotes, warnings=warnings)


def _schema(found: InlineSet) -> tuple[Path | None, etree._Element | None]:
    """The extension schema and its root (its own references checked; the documents' were
    when indexed)."""
    for path, href in found.schema_refs:
        target = resolve_local(path, href)
        if target is not None and target.is_file():
            root = parse_xml(target, blank_text=False)
            check_references(target, root)
            return target, root
    return None, None


class _Continuations:
    """Follows `continuedAt` chains; a missing target or a loop is a `FilingError`."""

    def __init__(self, found: InlineSet):
        self.found = found
        self.seen: set[int] = set()
        self.path = Path()

    def start(self, path: Path, element: etree._Element) -> _Continuations:
        self.seen = {id(element)}
        self.path, self.fact = path, element
        return self

    def __call__(self, element: etree._Element) -> etree._Element | None:
        target = element.get("continuedAt")
        if target is None:
            return None
        hit = self.found.continuations.get(target.strip())
        if hit is None:
            raise FilingError(self.path, f"{where(self.path, self.fact)}: continuedAt "
                              f"{target!r} (line {element.sourceline}) names no ix:continuation")
        if id(hit[1]) in self.seen:
            raise FilingError(self.path, f"{where(self.path, self.fact)}: continuation chain "
                              f"loops back at {target!r}")
        self.seen.add(id(hit[1]))
        return hit[1]


def _facts(found: InlineSet, labels: LazyLabels | None, warnings: list[str]) -> list[Fact]:
    """The facts in document order. A fact's `__dict__` is copied from one per concept and
    updated from one per context (as in `instance_reader`); anything unusual (decimals not
    seen yet, a value that is not a number) goes through `make_fact`, with its messages."""
    facts: list[Fact] = []
    append = facts.append
    follow = _Continuations(found)
    contexts, units = found.contexts, found.units
    periods: dict[str, dict] = {}  # contextRef → a fact's fields from its context
    numbers: dict[str, Decimal] = {}  # value text → its Decimal (immutable: shared)
    current: Path | None = None
    names: dict[str, dict] | None = None  # name → a fact's fields, where prefixes are flat
    source = ""
    for path, kind, element in found.facts:
        if path is not current:
            current, source = path, path.name
            names = {} if path in found.flat_namespaces else None
        attrs = dict(element.items())  # one call; the value steps read the same dict
        name = attrs.get("name") or ""
        fields = names.get(name) if names is not None else None
        if fields is None:
            concept, namespace = _concept(found, path, element, name)
            fields = concept_fields(concept, namespace,
                                    labels.pending(concept) if labels else None, source)
            if names is not None:
                names[name] = fields
        context_ref = attrs.get("contextRef") or ""
        period = periods.get(context_ref)
        if period is None:
            context = contexts.get(context_ref) or _ref(contexts, path, element, attrs,
                                                         "contextRef", "context")
            period = periods[context_ref] = context_fields(context)
        unit = None
        if kind != "nonNumeric":
            unit = units.get(attrs.get("unitRef") or "") or _ref(units, path, element, attrs,
                                                                  "unitRef", "unit")
        if kind == "fraction":
            warnings.append(f"{path}: {where(path, element)}: ix:fraction is not read; skipped")
            continue
        is_nil = attrs.get(XSI_NIL) in NIL_TRUE
        if kind == "nonFraction":
            value = numeric_text(found, path, element, attrs, is_nil).strip()
        else:
            value = text_value(found, path, element, attrs, follow.start(path, element)).strip()
        decimals = attrs.get("decimals")
        decimals = decimals.strip() or None if decimals else None
        dec = DECIMALS.get(decimals, _UNUSUAL)
        numeric = None
        if unit is not None and not is_nil:
            numeric = numbers.get(value)
            if numeric is None:  # a text that is not a finite number: make_fact says so
                parsed = parse_decimal(value)
                numeric = numbers[value] = _UNUSUAL if parsed is None else parsed
        if dec is _UNUSUAL or numeric is _UNUSUAL:
            append(make_fact(
                concept=fields["concept"], namespace=fields["namespace"], value=value,
                context=contexts[period["context_id"]], unit=unit, decimals=decimals,
                is_nil=is_nil, fact_id=attrs.get("id"), source=source, path=path,
                label=fields["label"], line=element.sourceline))
            continue
        values = fields.copy()
        values.update(period)
        values["value"] = value
        values["numeric"] = numeric
        values["unit"] = unit.measure if unit is not None else None
        values["decimals"] = dec
        values["is_nil"] = is_nil
        values["id"] = attrs.get("id")
        append(new_fact(values))  # typed above: no validation
    return facts


_UNUSUAL = object()


def _concept(found: InlineSet, path: Path, element: etree._Element, name: str,
             ) -> tuple[str, str]:
    """(concept as written, its namespace) of a fact's `name`."""
    prefix, _, local = name.strip().rpartition(":")
    namespace = found.namespace(path, element, prefix or None)
    if not local or namespace is None:
        raise FilingError(path, f"{where(path, element)}: name {name.strip()!r} has no "
                          "declared namespace prefix")
    return f"{prefix}:{local}" if prefix else local, namespace


def _ref(index: dict, path: Path, element: etree._Element, attrs: dict[str, str],
         attribute: str, what: str) -> Context | Unit:
    """The context or unit an attribute names, spaces around it allowed; a `FilingError`
    if there is none."""
    ref = (attrs.get(attribute) or "").strip()
    found = index.get(ref)
    if found is None:
        raise FilingError(path, f"{where(path, element)}: {attribute} {ref!r} names no "
                          f"{what} in ix:resources")
    return found
