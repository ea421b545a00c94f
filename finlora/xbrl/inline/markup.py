"""Escaped markup written by libxml2's exclusive C14N serialiser, then made equal to the Python
walker's (`text._escaped`, Arelle's form): the fast way for a filing's text blocks.

Canonical XML already sorts attributes (unqualified ones by name, as the walker does) and
writes empty elements as `<td></td>`. What it does differently is mended: nested ix tags cut
out, the XHTML namespace declarations it puts on elements below an ix element removed, void
elements written `<br/>`. Anything else it might write differently — character references
(`&#xD;`, `&#x9;`), `<` in an attribute value (`&lt;`), `xml:` attributes, elements or
attributes of other namespaces (their declarations), a void element with children, an
ix:exclude inside — makes `markup` return None, and the caller uses the walker. Documents
with a DOCTYPE, entity nodes or namespaces declared below the root get no serialiser.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

VOID = frozenset({"area", "base", "basefont", "br", "col", "frame", "hr", "img", "input",
                  "isindex", "link", "meta", "param"})  # written `<br/>`, as by the walker
_VOID_TAGS = tuple(f"{{*}}{name}" for name in sorted(VOID))
_TAG = rb'[^\s>]*+(?: [^\s=]++="[^"]*+")*+>'  # a C14N tag after its `<…`: `>` may be in values
_HEAD = re.compile(rb"<" + _TAG)  # the part's own start tag
XHTML = "http://www.w3.org/1999/xhtml"


@dataclass
class Serialiser:
    """What one document allows: its root namespace map (declared nowhere else, one prefix
    per namespace; "xmlns" written nowhere but in the root's start tag) and its ix
    prefixes."""

    nsmap: dict[str | None, str]
    ix_tags: re.Pattern[bytes]
    xhtml_declaration: bytes  # ` xmlns="…xhtml"`: what C14N adds below ix elements
    xhtml_attribute: bytes | None  # ` h:` where XHTML has a prefix: an attribute of it
    excluded: set[etree._Element] = field(default_factory=set)  # ix:exclude's ancestors
    void_closings: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)

    def markup(self, part: etree._Element) -> str | None:
        """`part`'s content as escaped markup, or None where only the walker can say."""
        if part in self.excluded:
            return None
        whole = etree.tostring(part, method="c14n", exclusive=True)
        head = _HEAD.match(whole)
        if head is None:
            return None
        body = whole[head.end():whole.rfind(b"</")]
        if b"&" in body and (b"&#" in body or (b"&lt;" in body and _lt_in_attribute(part))):
            return None
        voids = None
        for void in part.iter(*_VOID_TAGS):
            if len(void):  # <br><ix:x/></br>: the walker writes <br/>
                return None
            voids = voids or set()
            voids.add(self._closing(void))
        if self.xhtml_declaration in body:
            body = body.replace(self.xhtml_declaration, b"")
        body = self.ix_tags.sub(b"", body)  # with the declarations C14N put in them (xsi:nil)
        if b" xml" in body:  # xml: attributes, other namespaces (or such text: rare)
            return None
        if self.xhtml_attribute is not None and self.xhtml_attribute in body:
            return None  # an attribute in a namespace: the walker sorts those otherwise
        for empty, closed in voids or ():
            body = body.replace(empty, closed)
        return body.decode()

    def _closing(self, void: etree._Element) -> tuple[bytes, bytes]:
        """(`></br>`, `/>`) for a void element: C14N writes `<br></br>`, the walker `<br/>`
        (C14N escapes `>` in text: `></br>` is always an empty start and end tag)."""
        tag = void.tag
        known = self.void_closings.get(tag)
        if known is None:
            local = tag.rpartition("}")[2]
            name = f"{void.prefix}:{local}" if void.prefix else local
            known = self.void_closings[tag] = (f"></{name}>".encode(), b"/>")
        return known


_LT_IN_ATTRIBUTE = etree.XPath(".//@*[contains(., '<')]")


def _lt_in_attribute(part: etree._Element) -> bool:
    """Whether an attribute value below `part` holds `<` (C14N writes `&lt;`, the walker `<`)."""
    return bool(_LT_IN_ATTRIBUTE(part))


def serialiser(root: etree._Element, ix_namespaces: tuple[str, ...],
               excludes: list[etree._Element]) -> Serialiser | None:
    """The serialiser for a document whose namespaces are all declared on `root` (None where
    it has a DOCTYPE, the ix namespace is the default one or a namespace has two prefixes)."""
    nsmap = root.nsmap
    if root.getroottree().docinfo.doctype:  # kept as it was: XHTML documents, the walker
        return None
    if len(set(nsmap.values())) != len(nsmap):
        return None
    prefixes = [prefix for prefix, uri in nsmap.items() if uri in ix_namespaces]
    if not prefixes or None in prefixes:
        return None
    names = "|".join(re.escape(prefix) for prefix in prefixes).encode()
    excluded: set[etree._Element] = set()
    for element in excludes:
        excluded.update(element.iterancestors())
    xhtml = next((prefix for prefix, uri in nsmap.items() if uri == XHTML), "")
    return Serialiser(
        nsmap=nsmap, ix_tags=re.compile(rb"</?(?:%s):" % names + _TAG),
        xhtml_declaration=(f' xmlns:{xhtml}="{XHTML}"' if xhtml else f' xmlns="{XHTML}"'
                           ).encode(),
        xhtml_attribute=f" {xhtml}:".encode() if xhtml else None, excluded=excluded)
