"""The text around tagged numerals in an inline XBRL document (for FiNER-style examples)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from finlora.xbrl.safe_xml import parse_xml

XHTML = "http://www.w3.org/1999/xhtml"
IX = "http://www.xbrl.org/2013/inlineXBRL"
_BLOCKS = {f"{{{XHTML}}}{tag}" for tag in ("p", "div", "tr", "li", "td")}
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class TaggedNumeral:
    """A numeral as displayed, its concept, and the sentence / table row around it."""

    text: str
    concept: str
    fact_id: str | None
    sentence: str


def tagged_numerals(path: Path, max_chars: int = 400) -> list[TaggedNumeral]:
    """Every `ix:nonFraction` of an inline document with its surrounding block's text."""
    root = parse_xml(path)
    found = []
    for element in root.iter(f"{{{IX}}}nonFraction"):
        text = _SPACE.sub(" ", "".join(element.itertext())).strip()
        if not text or not any(ch.isdigit() for ch in text):
            continue
        block = element.getparent()
        while block is not None and block.tag not in _BLOCKS:
            block = block.getparent()
        if block is not None and block.tag == f"{{{XHTML}}}td":
            row = block.getparent()  # a table cell: use the whole row
            block = row if row is not None else block
        sentence = _SPACE.sub(" ", " ".join(block.itertext()) if block is not None else text)
        sentence = sentence.strip()
        if len(sentence) > max_chars:
            at = sentence.find(text)
            begin = max(0, at - max_chars // 2)
            sentence = sentence[begin:begin + max_chars]
        prefix, _, local = element.get("name", "").rpartition(":")
        namespace = element.nsmap.get(prefix) if prefix else None
        concept = f"{prefix}:{local}" if namespace else local
        found.append(TaggedNumeral(text, concept, element.get("id"), sentence))
    return found
