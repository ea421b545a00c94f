"""Escaped markup written by lxml's C serialiser, then made equal to the Python walker's
(`text._escaped`, Arelle's form): the fast way for a filing's text blocks.

`etree.tostring` gives the same text and tags except that it keeps nested ix tags, writes
empty elements as `<td/>` and keeps attributes in document order. Those three are mended
(ix tags cut out, `<td></td>` except for the XHTML void elements, order checked); anything
else it might write differently — character references (`&#9;` in attributes, `&#13;`),
`&lt;` or `&gt;` inside a tag, `xml:` attributes, unsorted attributes, a void element with
children, a `<base href>`, an ix:exclude inside, namespaces declared below the root, entity
nodes, a DOCTYPE (libxml2 then writes XHTML its own way) — makes `markup` return None, and
the caller uses the walker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

VOID = frozenset({"area", "base", "basefont", "br", "col", "frame", "hr", "img", "input",
                  "isindex", "link", "meta", "param"})  # written `<br/>`, as by the walker
_CHECK = re.compile(rb"&(?:#|[lg]t;)")
# read in the reversed text: an attribute and the one before it (`"=later "…"=earlier`),
# and each empty element's tag (`>/…eman<`)
_PAIRS = re.compile(rb'"=([^\s="<>]++) (?="[^"<>]*+"=([^\s="<>]++))')
_EMPTIES = re.compile(rb">/([^<>]*+)<")
_VOID_TAGS = tuple(f"{{*}}{name}" for name in sorted(VOID))


class _Closings(dict):
    """An empty element's reversed tag (`"…"=a eman`) → what ends it: `/>` (void elements)
    or `></name>`."""

    def __missing__(self, backwards: bytes) -> bytes:
        name = backwards.rpartition(b" ")[2][::-1]
        closing = b"/>" if name.rpartition(b":")[2].decode() in VOID else b"></" + name + b">"
        self[backwards] = closing
        return closing


@dataclass
class Serialiser:
    """What one document allows: its root namespace map (declared nowhere else, one prefix
    per namespace) and its ix prefixes."""

    nsmap: dict[str | None, str]
    ix_tags: re.Pattern[bytes]
    excluded: set[etree._Element] = field(default_factory=set)  # ix:exclude's ancestors
    sorted_pairs: dict[tuple[bytes, bytes], bool] = field(default_factory=dict)
    closings: _Closings = field(default_factory=_Closings)

    def markup(self, part: etree._Element) -> str | None:
        """`part`'s content as escaped markup, or None where only the walker can say."""
        if part in self.excluded:
            return None
        whole = etree.tostring(part, encoding="utf-8", with_tail=False)
        head = whole.find(b">")
        if whole[head - 1] == 47:  # "/": an empty element
            return ""
        body = whole[head + 1:whole.rfind(b"</")]
        if b"&" in body and not _entities_fine(body):
            return None
        if b" xml:" in body:
            return None
        if any(len(void) for void in part.iter(*_VOID_TAGS)):  # <br><ix:x/></br>: <br/>
            return None
        body = self.ix_tags.sub(b"", body)
        backwards = body[::-1]
        if not self._attributes_sorted(backwards):
            return None
        empties = _EMPTIES.findall(backwards)
        if not empties:
            return body.decode()
        pieces = body.split(b"/>")
        if len(pieces) != len(empties) + 1:
            return None
        empties.reverse()
        out = pieces + pieces[1:]  # the right length; every slot is set below
        out[::2] = pieces
        out[1::2] = map(self.closings.__getitem__, empties)
        return b"".join(out).decode()

    def _attributes_sorted(self, backwards: bytes) -> bool:
        """Every element's attributes in the walker's order (by Clark name)."""
        for later, earlier in set(_PAIRS.findall(backwards)):
            known = self.sorted_pairs.get((earlier, later))
            if known is None:
                known = self._clark(earlier[::-1]) < self._clark(later[::-1])
                self.sorted_pairs[(earlier, later)] = known
            if not known:
                return False
        return True

    def _clark(self, name: bytes) -> str:
        prefix, _, local = name.decode().rpartition(":")
        return f"{{{self.nsmap.get(prefix, '')}}}{local}" if prefix else local


def _entities_fine(body: bytes) -> bool:
    """No character reference, and `&lt;` / `&gt;` only in text (the walker writes `<` and
    `>` in attribute values as they are)."""
    for hit in _CHECK.finditer(body):
        if hit.group() == b"&#":
            return False
        at = hit.start()
        if body.rfind(b"<", 0, at) > body.rfind(b">", 0, at):
            return False
    return True


def serialiser(root: etree._Element, ix_namespaces: tuple[str, ...],
               excludes: list[etree._Element]) -> Serialiser | None:
    """The serialiser for a document whose namespaces are all declared on `root` (None where
    it has a DOCTYPE, the ix namespace is the default one or a namespace has two prefixes)."""
    nsmap = root.nsmap
    if root.getroottree().docinfo.doctype:  # an XHTML DOCTYPE turns on libxml2's XHTML output
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
    return Serialiser(nsmap=nsmap, ix_tags=re.compile(rb"</?(?:%s):[^>]*>" % names),
                      excluded=excluded)
