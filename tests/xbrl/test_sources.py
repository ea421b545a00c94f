"""Other forms a filing arrives in, all offline: an EDGAR complete-submission .txt (documents
wrapped in <XBRL>, binaries uuencoded), a .zip, a folder as downloaded from EDGAR with its
rendered R pages and index files. Each is built in tmp from a bundled filing and must load
identically to the bundled folder."""

from __future__ import annotations

import binascii
import shutil
import zipfile
from pathlib import Path

import pytest

from finlora.errors import FilingError
from finlora.xbrl import load_filing

from .conftest import FILINGS
from .test_load import fact_key

APPLE = FILINGS / "apple-10q-2025-03-29"


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("FINLORA_CACHE", str(tmp_path / "cache"))


def _uuencode(name: str, data: bytes) -> bytes:
    lines = [f"begin 644 {name}".encode()]
    lines += [binascii.b2a_uu(data[i:i + 45]).rstrip(b"\n") for i in range(0, len(data), 45)]
    return b"\n".join([*lines, b"`", b"end"]) + b"\n"


def _submission(folder: Path, target: Path, skip: tuple[str, ...] = ()) -> Path:
    parts = [b"<SEC-DOCUMENT>0000320193-25-000057.txt : 20250502\n<SEC-HEADER>\n"
             b"ACCESSION NUMBER:\t\t0000320193-25-000057\n</SEC-HEADER>\n"]
    for sequence, path in enumerate(sorted(folder.iterdir()), start=1):
        if path.name in skip:
            continue
        data = path.read_bytes()
        if path.suffix == ".json":
            body = _uuencode(path.name, data)
        else:
            body = b"<XBRL>\n" + data + b"\n</XBRL>\n"
        parts.append(b"<DOCUMENT>\n<TYPE>EX-101\n<SEQUENCE>%d\n<FILENAME>%s\n<DESCRIPTION>x\n"
                     b"<TEXT>\n%s</TEXT>\n</DOCUMENT>\n" % (sequence, path.name.encode(), body))
    parts.append(b"</SEC-DOCUMENT>\n")
    target.write_bytes(b"".join(parts))
    return target


def _same(a, b) -> bool:  # noqa: ANN001
    return list(map(fact_key, a.facts)) == list(map(fact_key, b.facts))


def test_submission_txt_loads_like_the_folder(tmp_path, lxml_filings) -> None:
    txt = _submission(APPLE, tmp_path / "0000320193-25-000057.txt")
    filing = load_filing(txt)
    assert _same(filing, lxml_filings["apple-10q-2025-03-29"])
    unpacked = filing.path.parent
    assert (unpacked / "MetaLinks.json").read_bytes() == (APPLE / "MetaLinks.json").read_bytes()
    assert load_filing(txt).path == filing.path  # unpacked once, then reused


def test_submission_without_instance_reads_the_inline_document(tmp_path) -> None:
    txt = _submission(APPLE, tmp_path / "s.txt", skip=("aapl-20250329_htm.xml",))
    filing = load_filing(txt)
    inline = load_filing(APPLE / "aapl-20250329.htm")
    assert filing.path.name == "aapl-20250329.htm" and _same(filing, inline)


def test_zip_loads_like_the_folder(tmp_path, lxml_filings) -> None:
    archive = tmp_path / "0000320193-25-000057-xbrl.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in APPLE.iterdir():
            out.write(path, path.name)
        out.writestr("../../escape.xml", b"<x/>")  # a hostile name stays inside the folder
    filing = load_filing(archive)
    assert _same(filing, lxml_filings["apple-10q-2025-03-29"])
    assert not (tmp_path / "escape.xml").exists()


def test_edgar_download_folder(tmp_path, lxml_filings) -> None:
    folder = tmp_path / "000032019325000057"
    shutil.copytree(APPLE, folder)
    (folder / "R1.htm").write_text("<html><body><table><tr><td>Cover</td></tr></table></body>"
                                   "</html>")
    (folder / "FilingSummary.xml").write_text("<FilingSummary><Version>3.25</Version>"
                                              "</FilingSummary>")
    (folder / "0000320193-25-000057-index.htm").write_text("<html><body>index</body></html>")
    (folder / "Financial_Report.xlsx").write_bytes(b"PK\x03\x04 not really")
    assert _same(load_filing(folder), lxml_filings["apple-10q-2025-03-29"])


def test_bad_archives_are_clear_errors(tmp_path) -> None:
    not_zip = tmp_path / "f.zip"
    not_zip.write_bytes(b"this is no zip")
    with pytest.raises(FilingError, match="not a readable zip"):
        load_filing(not_zip)
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(FilingError, match="not an EDGAR complete-submission"):
        load_filing(text)
    empty = tmp_path / "empty.txt"
    empty.write_text("<SEC-DOCUMENT>\n</SEC-DOCUMENT>\n")
    with pytest.raises(FilingError, match="holds no documents"):
        load_filing(empty)
    assert not list((tmp_path / "cache").glob("filings/*"))  # nothing half-unpacked


def test_cli_facts_reads_a_submission(tmp_path) -> None:
    import os
    import subprocess
    import sys

    txt = _submission(APPLE, tmp_path / "0000320193-25-000057.txt")
    out = tmp_path / "assets.csv"
    result = subprocess.run([sys.executable, "-m", "finlora", "facts", str(txt), "--concept",
                             "Assets", "--no-dimensions", "--format", "csv", "-o", str(out)],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "FINLORA_CACHE": str(tmp_path / "cache")})
    assert result.returncode == 0, result.stderr
    assert "331233000000" in out.read_text()  # Apple's total assets at 2025-03-29 (10-Q)
