"""Where a filing's documents are: a file, a folder (as downloaded from EDGAR), an EDGAR
complete-submission `.txt` or a `.zip` (both unpacked offline into the cache)."""

from __future__ import annotations

from pathlib import Path

from finlora.errors import FilingError

INLINE_SUFFIXES = (".htm", ".html", ".xhtml")
LINKBASE_STEMS = ("_cal", "_def", "_lab", "_pre", "_ref")  # file stems that are not instances
_HEAD = 65536


def _head(path: Path, size: int = _HEAD) -> bytes:
    with path.open("rb") as handle:
        return handle.read(size)


def is_inline_document(path: Path) -> bool:
    """An .htm that declares the Inline XBRL namespace near its start (not EDGAR's R pages)."""
    return path.suffix.lower() in INLINE_SUFFIXES and b"/inlineXBRL" in _head(path)


def _is_instance(path: Path) -> bool:
    if path.suffix.lower() != ".xml" or path.stem.endswith(LINKBASE_STEMS) or \
            path.stem == "FilingSummary":
        return False
    head = _head(path, 4096)
    return b"xbrl" in head and b"linkbase" not in head.split(b">", 2)[-1][:200]


def is_submission(path: Path) -> bool:
    """An EDGAR complete-submission text file (SGML wrapper of the filing's documents)."""
    if path.suffix.lower() != ".txt":
        return False
    head = _head(path, 8192).lstrip()
    return head.startswith((b"<SEC-DOCUMENT>", b"<SEC-HEADER>", b"<DOCUMENT>", b"<IMS-DOCUMENT>"))


def _folder_documents(folder: Path) -> list[Path]:
    candidates = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    instances = [p for p in candidates if _is_instance(p)]
    if instances:
        return instances[:1]
    inline = [p for p in candidates if is_inline_document(p)]
    if inline:
        return inline
    for path in candidates:
        if is_submission(path) or path.suffix.lower() == ".zip":
            return filing_documents(path)
    raise FilingError(folder, "no XBRL instance (.xml), inline XBRL document (.htm), EDGAR "
                      "submission (.txt) or .zip found")


def filing_documents(source: Path) -> list[Path]:
    """The documents to read for `source`: one instance, or the inline document(s)."""
    if source.is_dir():
        return _folder_documents(source)
    if source.suffix.lower() == ".zip":
        from finlora.xbrl.archives import unpack_zip

        return _folder_documents(unpack_zip(source))
    if source.suffix.lower() == ".txt":
        if not is_submission(source):
            raise FilingError(source, "not an EDGAR complete-submission file (no <SEC-DOCUMENT>"
                              " or <DOCUMENT> at its start)")
        from finlora.xbrl.archives import unpack_submission

        return _folder_documents(unpack_submission(source))
    return [source]


def find_entry_point(folder: Path) -> Path:
    """The instance (preferred) or first inline document of a filing folder."""
    return filing_documents(folder)[0]
