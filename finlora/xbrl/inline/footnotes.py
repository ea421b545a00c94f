"""`ix:footnote` and `ix:relationship`: fact id → footnote texts."""

from __future__ import annotations

import re

from finlora.xbrl.inline.document import InlineSet
from finlora.xbrl.inline.text import inner_text

FACT_FOOTNOTE = "http://www.xbrl.org/2003/arcrole/fact-footnote"
_SPACE = re.compile(r"\s+")


def read_footnotes(found: InlineSet, warnings: list[str]) -> dict[str, list[str]]:
    """Footnotes of each fact, from fact-footnote relationships (a reference to a missing
    footnote is a warning, as in Arelle)."""
    if not found.relationships:
        return {}
    fact_ids = {element.get("id") for _, _, element in found.facts if element.get("id")}
    result: dict[str, list[str]] = {}
    for path, relation in found.relationships:
        if (relation.get("arcrole") or FACT_FOOTNOTE) != FACT_FOOTNOTE:
            continue
        sources = (relation.get("fromRefs") or "").split()
        targets = (relation.get("toRefs") or "").split()
        texts = []
        for target in targets:
            hit = found.footnotes.get(target)
            if hit is None:
                warnings.append(f"{path}: ix:relationship (line {relation.sourceline}) toRefs "
                                f"{target!r} names no ix:footnote")
                continue
            texts.append(_SPACE.sub(" ", inner_text(hit[1])).strip())
        for source in sources:
            if source not in fact_ids:
                warnings.append(f"{path}: ix:relationship (line {relation.sourceline}) fromRefs "
                                f"{source!r} names no fact")
                continue
            result.setdefault(source, []).extend(texts)
    return result
