"""Plain XBRL instances with lxml: the schema's labels and calculations, then the facts."""

from __future__ import annotations

from pathlib import Path

from finlora.errors import FilingError
from finlora.xbrl.instance import XBRLI, parse_instance
from finlora.xbrl.linkbases import read_linkbases
from finlora.xbrl.parts import FilingParts
from finlora.xbrl.safe_xml import parse_xml
from finlora.xbrl.stubs import find_schema_ref


def load_instance(source: Path) -> FilingParts:
    root = parse_xml(source)
    if root.tag != f"{{{XBRLI}}}xbrl":
        raise FilingError(source, f"not an XBRL instance (root element is {root.tag!r})")
    schema = find_schema_ref(source, root)
    labels, calculations = read_linkbases(schema)
    facts, contexts, units = parse_instance(root, source, labels)
    return FilingParts(path=source, facts=facts, contexts=contexts, units=units, labels=labels,
                       calculations=calculations, engine="lxml")
