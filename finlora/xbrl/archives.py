"""EDGAR complete submissions (.txt) and .zip files of a filing, unpacked offline.

Each archive is unpacked once into `$FINLORA_CACHE/filings/<content hash>/` (atomically, so a
folder that exists is complete), with member names reduced to their base name (no path can
leave the folder) and every member under the per-document size limit.
"""

from __future__ import annotations

import binascii
import hashlib
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

from finlora.atomic import write_directory_atomically
from finlora.cache import cache_dir
from finlora.errors import FilingError
from finlora.xbrl.safe_xml import max_filing_bytes

_DOCUMENT = re.compile(rb"<DOCUMENT>(.*?)</DOCUMENT>", re.DOTALL)
_FILENAME = re.compile(rb"<FILENAME>[ \t]*([^\r\n<]+)")
_TEXT = re.compile(rb"<TEXT>\r?\n?(.*?)</TEXT>", re.DOTALL)
_WRAPPERS = (b"XBRL", b"XML", b"PDF")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


def max_archive_bytes() -> int:
    """Archives may hold many documents: four times the per-document limit."""
    return 4 * max_filing_bytes()


def _safe_name(name: str) -> str | None:
    base = _SAFE_NAME.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1].strip())
    return base if base and base not in (".", "..") and not base.startswith(".") else None


def _digest(path: Path) -> str:
    size = path.stat().st_size
    if size > max_archive_bytes():
        raise FilingError(path, f"file is {size:,} bytes, over the {max_archive_bytes():,}-byte "
                          "archive limit (set FINLORA_MAX_FILING_BYTES to raise it)")
    if size == 0:
        raise FilingError(path, "file is empty")
    sha = hashlib.sha1()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()[:20]


def _unpack(path: Path, members: Callable[[], Iterator[tuple[str, bytes]]]) -> Path:
    target = cache_dir("filings") / _digest(path)
    if target.is_dir():
        return target

    def fill(folder: Path) -> None:
        written = 0
        for name, data in members():
            safe = _safe_name(name)
            if safe is None:
                continue
            (folder / safe).write_bytes(data)
            written += 1
        if not written:
            raise FilingError(path, "holds no documents")

    write_directory_atomically(target, fill)
    return target


def uudecode(path: Path, name: str, text: bytes) -> bytes:
    """The bytes of a uuencoded block (`begin 644 name` … `end`)."""
    out = bytearray()
    for line in text.splitlines()[1:]:
        if line.strip() in (b"end", b"`", b""):
            if line.strip() == b"end":
                break
            continue
        try:
            out += binascii.a2b_uu(line)
        except binascii.Error:  # some encoders pad short lines oddly: decode what the length says
            count = (line[0] - 32) & 63
            out += binascii.a2b_uu(line[: 1 + (count * 4 + 2) // 3])[:count]
    return bytes(out)


def _document_body(path: Path, name: str, text: bytes) -> bytes:
    body = text
    for tag in _WRAPPERS:
        stripped = body.strip()
        if stripped.startswith(b"<" + tag + b">") and stripped.endswith(b"</" + tag + b">"):
            body = stripped[len(tag) + 2: -(len(tag) + 3)]
            break
    if body.lstrip().startswith(b"begin ") and b"\nend" in body:
        return uudecode(path, name, body.lstrip())
    return body


def unpack_submission(path: Path) -> Path:
    """An EDGAR complete-submission .txt → a folder of its documents."""

    def members() -> Iterator[tuple[str, bytes]]:
        data = path.read_bytes()
        for match in _DOCUMENT.finditer(data):
            document = match.group(1)
            name = _FILENAME.search(document)
            text = _TEXT.search(document)
            if name is None or text is None:
                continue
            filename = name.group(1).decode("latin-1").strip()
            body = _document_body(path, filename, text.group(1))
            if len(body) > max_filing_bytes():
                continue
            yield filename, body

    return _unpack(path, members)


def unpack_zip(path: Path) -> Path:
    """A .zip of a filing's documents → a folder (sizes checked before and while reading)."""
    limit = max_filing_bytes()

    def members() -> Iterator[tuple[str, bytes]]:
        try:
            archive = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise FilingError(path, f"not a readable zip file ({exc})") from exc
        with archive:
            total = 0
            for info in archive.infolist():
                if info.is_dir() or info.file_size > limit:
                    continue
                total += info.file_size
                if total > max_archive_bytes():
                    raise FilingError(path, "unpacks to more than the archive size limit")
                try:
                    with archive.open(info) as handle:
                        data = handle.read(limit + 1)
                except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
                    raise FilingError(path, f"cannot read {info.filename!r}: {exc}") from exc
                if len(data) > limit:
                    continue
                yield info.filename, data

    return _unpack(path, members)
