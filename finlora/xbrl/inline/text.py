"""The text of an inline fact: its content with ix:exclude left out, continuations followed,
and for `escape="true"` the XHTML markup kept, serialised as Arelle serialises it."""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

IX_NAMESPACES = ("http://www.xbrl.org/2013/inlineXBRL", "http://www.xbrl.org/2008/inlineXBRL")
_ESCAPE_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_SELF_CLOSING = frozenset({"area", "base", "basefont", "br", "col", "frame", "hr", "img", "input",
                           "isindex", "link", "meta", "param"})


def split_tag(tag: str) -> tuple[str, str]:
    """`{namespace}local` → (namespace, local)."""
    namespace, _, local = tag[1:].partition("}")
    return namespace, local


_IX_PREFIXES = tuple(f"{{{namespace}}}" for namespace in IX_NAMESPACES)
_LOCAL_CACHE: dict[str, tuple[bool, str]] = {}


def _tag_info(tag: str) -> tuple[bool, str]:
    """(is an ix element, local name) of a Clark tag, cached: tags repeat a lot."""
    info = _LOCAL_CACHE.get(tag)
    if info is None:
        info = (tag.startswith(_IX_PREFIXES), tag.rpartition("}")[2])
        _LOCAL_CACHE[tag] = info
    return info


def _qname(element: etree._Element, clark: str) -> str:
    namespace, local = split_tag(clark)
    for prefix, uri in element.nsmap.items():
        if uri == namespace and prefix:
            return f"{prefix}:{local}"
    return local


def _first(item: tuple[str, str]) -> str:
    return item[0]


def _start_tag(element: etree._Element, local: str, empty: bool) -> str:
    name = f"{element.prefix}:{local}" if element.prefix else local
    parts = ["<", name]
    items = element.items()
    if len(items) > 1:
        items.sort(key=_first)
    for key, value in items:
        if key[0] == "{":
            key = _qname(element, key)
        if "&" in value or '"' in value:
            value = value.replace("&", "&amp;").replace('"', "&quot;")
        parts.append(f' {key}="{value}"')
    if empty:
        parts.append("/" if local in _SELF_CLOSING else f"></{name}")
    parts.append(">")
    return "".join(parts)


def _collect(element: etree._Element, escape: bool, out: list[str]) -> None:
    """Append the text (and, escaping, the markup) of `element`'s content to `out`."""
    if element.text:
        out.append(element.text.translate(_ESCAPE_TEXT) if escape else element.text)
    for child in element:
        tag = child.tag
        if isinstance(tag, str):
            is_ix, local = _tag_info(tag)
            if not (is_ix and local.lower() == "exclude"):
                if escape and not is_ix:
                    at = len(out)
                    out.append("")  # the start tag, once we know whether the element is empty
                    _collect(child, escape, out)
                    empty = len(out) == at + 1
                    out[at] = _start_tag(child, local, empty)
                    if not empty:
                        prefix = child.prefix
                        out.append(f"</{prefix}:{local}>" if prefix else f"</{local}>")
                else:
                    _collect(child, escape, out)
        if child.tail:
            out.append(child.tail.translate(_ESCAPE_TEXT) if escape else child.tail)


def inner_text(element: etree._Element, escape: bool = False,
               next_part: Callable[[etree._Element], etree._Element | None] | None = None,
               ) -> str:
    """The fact's text; `next_part(element)` gives the continuation of a part (or None).

    Escaped, nested XHTML elements are written back as markup (attributes sorted, `&` and
    `"` escaped, empty elements as `<br/>` or `<p ...></p>`); nested ix elements give their
    text only; ix:exclude gives nothing.
    """
    if not escape and not len(element) and next_part is None:
        return element.text or ""
    out: list[str] = []
    part: etree._Element | None = element
    while part is not None:
        _collect(part, escape, out)
        part = next_part(part) if next_part is not None else None
    return "".join(out)
