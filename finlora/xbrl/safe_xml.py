"""Reading filing documents safely: bounded size, no network, no DTDs, no external entities.

Every document finlora reads goes through `parse_xml`, so hostile input (entity bombs,
external entities, truncated or non-XML files, wrong encodings, huge files) becomes a
`FilingError` that names the file, before any other code sees it.
"""

from __future__ import annotations

import html.entities
import os
import re
from pathlib import Path

from lxml import etree

from finlora.errors import FilingError

DEFAULT_MAX_BYTES = 100 * 1024 * 1024
_DOCTYPE_WITH_SUBSET = re.compile(rb"<!DOCTYPE[^>\[]*\[", re.IGNORECASE)
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_NAMED_REF = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);)([A-Za-z][A-Za-z0-9]{1,31});")
_HTML_CODEPOINTS = {name.encode(): code for name, code in html.entities.name2codepoint.items()}


def _parser(blank_text: bool = True) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        remove_blank_text=not blank_text,
    )  # collect_ids=False would be a little faster, but makes libxml2 load a DOCTYPE's DTD


def max_filing_bytes() -> int:
    """The size limit for one document (`FINLORA_MAX_FILING_BYTES`, default 100 MiB)."""
    return int(os.environ.get("FINLORA_MAX_FILING_BYTES", DEFAULT_MAX_BYTES))


def check_size(path: Path, max_bytes: int) -> int:
    """The file's size; a FilingError if it cannot be read, is empty or is over `max_bytes`."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FilingError(path, f"cannot read file ({exc.strerror or exc})") from exc
    if size == 0:
        raise FilingError(path, "file is empty")
    if size > max_bytes:
        raise FilingError(path, f"file is {size:,} bytes, over the {max_bytes:,}-byte limit "
                          "(set FINLORA_MAX_FILING_BYTES to raise it)")
    return size


def read_bytes(path: Path, max_bytes: int | None = None) -> bytes:
    """The file's bytes, with leading whitespace before the XML declaration removed."""
    max_bytes = max_filing_bytes() if max_bytes is None else max_bytes
    check_size(path, max_bytes)
    with path.open("rb") as handle:  # bounded even if the file grew since stat()
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FilingError(path, f"file is over the {max_bytes:,}-byte limit "
                          "(set FINLORA_MAX_FILING_BYTES to raise it)")
    stripped = data.lstrip()
    if stripped.startswith(b"\xef\xbb\xbf"):  # UTF-8 byte-order mark before the whitespace
        stripped = stripped[3:].lstrip()
    if not stripped:
        raise FilingError(path, "file holds only whitespace")
    return stripped


def _numeric_reference(match: re.Match[bytes]) -> bytes:
    code = _HTML_CODEPOINTS.get(match.group(1))
    if code is None:
        return match.group(0)
    return b"&#%d;" % code


def html_entities_to_numeric(data: bytes) -> bytes:
    """HTML named character references (`&nbsp;`, `&rsquo;`) → numeric ones (`&#160;`).

    Some inline filings use them without declaring them; nothing is expanded recursively and
    no entity declaration is ever honoured, so this is as safe as the reference it replaces.
    """
    return _NAMED_REF.sub(_numeric_reference, data)


def document_bytes(path: Path, max_bytes: int | None = None) -> bytes:
    """The bytes finlora parses for `path`: size-checked, leading whitespace / BOM removed and,
    where the document uses undeclared HTML entities, those turned into numeric references."""
    data = read_bytes(path, max_bytes)
    if _NAMED_REF.search(data) is None:
        return data
    return html_entities_to_numeric(data)


def parse_xml(path: Path, max_bytes: int | None = None, blank_text: bool = True,
              ) -> etree._Element:
    """Parse an XML (or XHTML) document safely and return its root element. `blank_text=False`
    drops whitespace-only text between elements (faster; for schemas and linkbases, whose
    text never matters between elements — never for documents with facts)."""
    return parse_document(path, max_bytes, blank_text)[1]


def parse_document(path: Path, max_bytes: int | None = None, blank_text: bool = True,
                   ) -> tuple[bytes, etree._Element]:
    """`document_bytes(path)` and its root, parsed safely (as `parse_bytes`), without scanning
    the whole document for HTML entities first: one that uses them undeclared fails to parse
    (they are converted then, and it is parsed again), unless it has a DOCTYPE (its external
    DTD could declare them): those are converted, if any, before the root is returned."""
    data = read_bytes(path, max_bytes)
    check_header(data, path)
    try:
        root = _fromstring(data, path, blank_text)
    except etree.XMLSyntaxError as exc:
        if _NAMED_REF.search(data) is None:
            raise FilingError(path, _malformed(exc)) from exc
        root = None
    if root is None or (root.getroottree().docinfo.doctype and _NAMED_REF.search(data)):
        data = html_entities_to_numeric(data)
        return data, parse_bytes(data, path, blank_text)
    refuse_dtd_subset(root, path)
    return data, root


def check_header(data: bytes, path: Path) -> None:
    """Refuse DTD subsets / entity declarations and non-XML content before parsing."""
    head = data[:65536]
    if _ENTITY_DECL.search(head) or _DOCTYPE_WITH_SUBSET.search(head):
        raise FilingError(path, "document declares a DTD subset or entities; filings never "
                          "do, and finlora does not expand them")
    if not head.startswith(b"<"):
        raise FilingError(path, "not an XML document (does not start with '<')")


def parse_bytes(data: bytes, path: Path, blank_text: bool = True) -> etree._Element:
    """Parse document bytes (already read through `read_bytes`) safely; errors name `path`."""
    check_header(data, path)
    try:
        root = _fromstring(data, path, blank_text)
    except etree.XMLSyntaxError as exc:
        raise FilingError(path, _malformed(exc)) from exc
    refuse_dtd_subset(root, path)
    return root


def _malformed(exc: etree.XMLSyntaxError) -> str:
    return f"malformed XML: {exc.msg} (line {exc.lineno})"


def _fromstring(data: bytes, path: Path, blank_text: bool) -> etree._Element:
    """The root of `data` (XMLSyntaxError as lxml raises it; other errors named)."""
    try:
        root = etree.fromstring(data, parser=_parser(blank_text), base_url=None)
    except (ValueError, LookupError) as exc:  # e.g. an unknown or mismatched encoding
        raise FilingError(path, f"cannot decode document: {exc}") from exc
    if root is None:
        raise FilingError(path, "no root element")
    return root


def refuse_dtd_subset(root: etree._Element, path: Path) -> None:
    """Refuse a DTD that declares anything (entities, elements, attributes). A bare
    `<!DOCTYPE html PUBLIC ...>`, as some XHTML filings carry, is allowed: the external DTD
    is never loaded."""
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and (any(True for _ in dtd.iterentities()) or
                            any(True for _ in dtd.iterelements())):
        raise FilingError(path, "document declares an internal DTD subset; not allowed")


def resolve_local(base: Path, href: str) -> Path | None:
    """A relative reference resolved inside `base`'s folder, or None if it points outside it
    (another folder, an absolute path or a URL): finlora never follows those."""
    if not href or "://" in href or href.startswith(("/", "\\")) or ":" in href.split("/")[0]:
        return None
    target = (base.parent / href.split("#", 1)[0]).resolve()
    folder = base.parent.resolve()
    if folder not in target.parents:
        return None
    return target
