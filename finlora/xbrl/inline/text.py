"""The text of an inline fact: its content with ix:exclude left out, continuations followed,
and for `escape="true"` the XHTML markup kept, serialised as Arelle serialises it."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

from lxml import etree

from finlora.xbrl.inline.markup import Serialiser

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
        if len(_LOCAL_CACHE) > 10_000:  # bounded, whatever names a document uses
            _LOCAL_CACHE.clear()
        _LOCAL_CACHE[tag] = info
    return info


def _qname(element: etree._Element, clark: str) -> str:
    namespace, local = split_tag(clark)
    for prefix, uri in element.nsmap.items():
        if uri == namespace and prefix:
            return f"{prefix}:{local}"
    return local


_STARTS: dict[tuple, str] = {}  # (name, attributes) → start tag: table cells repeat a lot


def _start_tag(element: etree._Element, name: str, items: list[tuple[str, str]]) -> str:
    """`<name a="1" b="2"`: attributes sorted by name, `&` and `"` escaped (as Arelle)."""
    key = (name, *items)
    known = _STARTS.get(key)
    if known is not None:
        return known
    if len(items) > 1:
        items.sort()  # names are unique: the values never decide
    parts = ["<", name]
    for attribute, value in items:
        if attribute[0] == "{":
            attribute = _qname(element, attribute)
        if "&" in value or '"' in value:
            value = value.replace("&", "&amp;").replace('"', "&quot;")
        parts.append(f' {attribute}="{value}"')
    start = "".join(parts)
    if len(_STARTS) > 20_000:
        _STARTS.clear()
    _STARTS[key] = start
    return start


def _plain(element: etree._Element, out: list[str]) -> None:
    """Append the text of `element`'s content, ix:exclude left out, to `out`."""
    append = out.append
    if element.text:
        append(element.text)
    for child in element:
        tag = child.tag
        if isinstance(tag, str) and not _is_exclude(tag):
            if len(child):
                _plain(child, out)
            elif child.text:
                append(child.text)
        if child.tail:
            append(child.tail)


# attributes holding URIs, resolved against the document's <base href> when escaped (as Arelle)
_URI_ATTRIBUTES = {"a": {"href"}, "area": {"href"}, "blockquote": {"cite"}, "del": {"cite"},
                   "form": {"action"}, "input": {"src", "usemap"}, "ins": {"cite"},
                   "img": {"src", "longdesc", "usemap"}, "q": {"cite"},
                   "object": {"codebase", "classid", "data", "archive", "usemap"}}


def _resolve(element: etree._Element, local: str, name: str, value: str, base: str) -> str:
    if name == "archive":  # a list of URIs
        return " ".join(_resolve(element, local, "archiveListElement", v, base)
                        for v in value.split())
    if local == "object" and name in ("classid", "data", "archiveListElement") and \
            element.get("codebase"):
        return value  # relative to the codebase, itself resolved
    if urlsplit(value).scheme:
        return value
    return urljoin(base, value).replace(" ", "%20")


def _with_base(element: etree._Element, local: str, items: list[tuple[str, str]],
               base: str) -> list[tuple[str, str]]:
    names = _URI_ATTRIBUTES[local]
    return [(key, _resolve(element, local, key, value, base) if key in names else value)
            for key, value in items]


def _escaped(element: etree._Element, out: list[str], base: str = "") -> None:
    """Append `element`'s content as escaped markup (nested ix elements give their content,
    ix:exclude nothing; with a document `base`, relative URIs resolved) to `out`: the hot
    loop of a filing's text blocks."""
    append = out.append
    text = element.text
    if text:
        append(text.translate(_ESCAPE_TEXT))
    for child in element:
        tag = child.tag
        info = _LOCAL_CACHE.get(tag)
        if info is None and isinstance(tag, str):
            info = _tag_info(tag)
        if info is not None:
            is_ix, local = info
            if not is_ix:
                prefix = child.prefix
                name = f"{prefix}:{local}" if prefix else local
                items = child.items()
                if base and items and local in _URI_ATTRIBUTES:
                    items = _with_base(child, local, items, base)
                start = _start_tag(child, name, items) if items else "<" + name
                if len(child):
                    at = len(out)
                    append(start + ">")
                    _escaped(child, out, base)
                    if len(out) == at + 1 and local in _SELF_CLOSING:  # nothing came of it
                        out[at] = start + "/>"
                    else:
                        append(f"</{name}>")
                elif child.text:
                    append(f"{start}>{child.text.translate(_ESCAPE_TEXT)}</{name}>")
                elif local in _SELF_CLOSING:
                    append(start + "/>")
                else:
                    append(f"{start}></{name}>")
            elif local.lower() != "exclude":
                _escaped(child, out, base)
        if child.tail:
            append(child.tail.translate(_ESCAPE_TEXT))


def _is_exclude(tag: str) -> bool:
    is_ix, local = _tag_info(tag)
    return is_ix and local.lower() == "exclude"


def inner_text(element: etree._Element, escape: bool = False,
               next_part: Callable[[etree._Element], etree._Element | None] | None = None,
               base: str = "", fast: Serialiser | None = None) -> str:
    """The fact's text; `next_part(element)` gives the continuation of a part (or None).

    Escaped, nested XHTML elements are written back as markup (attributes sorted, `&` and
    `"` escaped, empty elements as `<br/>` or `<p ...></p>`, relative URIs resolved against
    `base`, the document's `<base href>`); nested ix elements give their text only;
    ix:exclude gives nothing. `fast` (no `base` then) writes the same with lxml's serialiser
    where it can.
    """
    if not escape and not len(element) and next_part is None:
        return element.text or ""
    out: list[str] = []
    part: etree._Element | None = element
    while part is not None:
        if escape:
            markup = fast.markup(part) if fast is not None else None
            if markup is None:
                _escaped(part, out, base)
            else:
                out.append(markup)
        else:
            _plain(part, out)
        part = next_part(part) if next_part is not None else None
    return "".join(out)
