"""The text of an inline fact: its content with ix:exclude left out, continuations followed,
and for `escape="true"` the XHTML markup kept, serialised as Arelle serialises it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from lxml import etree

IX_NAMESPACES = ("http://www.xbrl.org/2013/inlineXBRL", "http://www.xbrl.org/2008/inlineXBRL")
_ESCAPE_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_SELF_CLOSING = frozenset({"area", "base", "basefont", "br", "col", "frame", "hr", "img", "input",
                           "isindex", "link", "meta", "param"})


def split_tag(tag: str) -> tuple[str, str]:
    """`{namespace}local` → (namespace, local)."""
    namespace, _, local = tag[1:].partition("}")
    return namespace, local


def _is_exclude(element: etree._Element) -> bool:
    namespace, local = split_tag(element.tag)
    return namespace in IX_NAMESPACES and local.lower() == "exclude"


def _qname(element: etree._Element, clark: str) -> str:
    namespace, local = split_tag(clark)
    for prefix, uri in element.nsmap.items():
        if uri == namespace and prefix:
            return f"{prefix}:{local}"
    return local


def _markup(element: etree._Element, start: bool, empty: bool) -> str:
    """A start, end or empty tag of a nested XHTML element (nothing for nested ix elements)."""
    namespace, local = split_tag(element.tag)
    if namespace in IX_NAMESPACES:
        return ""
    name = f"{element.prefix}:{local}" if element.prefix else local
    parts = ["<"]
    if not start and not empty:
        parts.append("/")
    parts.append(name)
    if start or empty:
        for key, value in sorted(element.items(), key=lambda item: item[0]):
            key = _qname(element, key) if key.startswith("{") else key
            parts.append(' {0}="{1}"'.format(key, value.replace("&", "&amp;")
                                             .replace('"', "&quot;")))
    if not start and empty:
        parts.append("/" if local in _SELF_CLOSING else f"></{name}")
    parts.append(">")
    return "".join(parts)


def _nodes(element: etree._Element | None, escape: bool,
           next_part: Callable[[etree._Element], etree._Element | None] | None,
           ) -> Iterator[str]:
    while element is not None:
        if element.text:
            yield element.text.translate(_ESCAPE_TEXT) if escape else element.text
        for child in element:
            if isinstance(child.tag, str) and not _is_exclude(child):
                first = True
                for nested in _nodes(child, escape, None):  # nested elements never continue
                    if first and escape:
                        yield _markup(child, True, False)
                        first = False
                    yield nested
                if escape:
                    yield _markup(child, False, first)
            if child.tail:
                yield child.tail.translate(_ESCAPE_TEXT) if escape else child.tail
        element = next_part(element) if next_part is not None else None


def inner_text(element: etree._Element, escape: bool = False,
               next_part: Callable[[etree._Element], etree._Element | None] | None = None,
               ) -> str:
    """The fact's text; `next_part(element)` gives the continuation of a part (or None)."""
    return "".join(_nodes(element, escape, next_part))
