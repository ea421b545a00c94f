"""Hostile input: each case gives a clear FilingError quickly, with no network access, no file
read outside the filing's folder and (in the CLI) exit code 2 and no partial output file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import FILINGS

TESLA = FILINGS / "tesla-10q-2024-06-30" / "tsla-20240630_htm.xml"
TIME_BOUND_S = 10.0

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<xbrl xmlns="http://www.xbrl.org/2003/instance">&lol4;</xbrl>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<xbrl xmlns="http://www.xbrl.org/2003/instance"><a contextRef="c">&secret;</a></xbrl>"""

REMOTE_SCHEMA = b"""<?xml version="1.0"?>
<xbrl xmlns="http://www.xbrl.org/2003/instance" xmlns:link="http://www.xbrl.org/2003/linkbase"
 xmlns:xlink="http://www.w3.org/1999/xlink">
<link:schemaRef xlink:type="simple" xlink:href="http://198.51.100.7/evil.xsd"/>
<link:schemaRef xlink:type="simple" xlink:href="../../../../etc/passwd"/>
</xbrl>"""


def _cases(tmp: Path) -> dict[str, tuple[bytes, str]]:
    real = TESLA.read_bytes()
    nested = b"<?xml version='1.0'?>" + b"<a>" * 100_000 + b"</a>" * 100_000
    return {
        "entity-bomb": (BILLION_LAUGHS, "DTD"),
        # the DTD after a 70 kB comment: past the quick header check, stopped by the parser
        "padded-entity-bomb": (BILLION_LAUGHS.replace(b"?>", b"?><!--" + b"x" * 70_000 + b"-->",
                                                      1), "DTD"),
        "external-entity": (XXE, "DTD"),
        "truncated": (real[: len(real) // 2], "malformed XML"),
        "not-xml": (b"%PDF-1.7\n\x00\x01binary", "not an XML document"),
        "empty": (b"", "empty"),
        "only-whitespace": (b"   \n\t  ", "only whitespace"),
        "wrong-encoding": (b"<?xml version='1.0' encoding='utf-8'?><xbrl>\xff\xfe\xe9</xbrl>",
                           "XML"),
        "unknown-encoding": (b"<?xml version='1.0' encoding='klingon-8'?><xbrl/>", ""),
        "deeply-nested": (nested, "malformed XML"),
        "not-an-instance": (b"<?xml version='1.0'?><html><body>hi</body></html>", "not an XBRL"),
    }


def _guarded(path: Path, engine: str = "auto") -> dict:
    script = Path(__file__).with_name("guarded_load.py")
    result = subprocess.run([sys.executable, str(script), str(path), engine],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("case", list(_cases(Path("."))))
def test_hostile_file_gives_clear_error(case: str, tmp_path: Path) -> None:
    data, message = _cases(tmp_path)[case]
    folder = tmp_path / "filing"
    folder.mkdir()
    path = folder / "instance.xml"
    path.write_bytes(data)
    outcome = _guarded(path)
    assert not outcome["ok"], outcome
    assert str(path) in outcome["error"] and message in outcome["error"]
    assert outcome["seconds"] < TIME_BOUND_S
    assert outcome["network"] == []
    assert outcome["outside"] == []


def test_remote_and_escaping_references_are_not_followed(tmp_path: Path) -> None:
    path = tmp_path / "instance.xml"
    path.write_bytes(REMOTE_SCHEMA)
    for engine in ("lxml", "arelle"):
        outcome = _guarded(path, engine)
        assert not outcome["ok"] and "outside the filing's folder" in outcome["error"], outcome
        assert outcome["network"] == [] and outcome["outside"] == [], outcome


def test_arelle_inline_load_stays_offline_and_inside_the_filing() -> None:
    outcome = _guarded(FILINGS / "apple-10q-2025-03-29" / "aapl-20250329.htm", "arelle")
    assert outcome["ok"] and outcome["facts"] == 760, outcome
    assert outcome["network"] == [] and outcome["outside"] == [], outcome


def test_leading_whitespace_is_stripped(tmp_path: Path) -> None:
    folder = tmp_path / "tesla"
    folder.mkdir()
    for source in TESLA.parent.iterdir():
        (folder / source.name).write_bytes(source.read_bytes())
    (folder / TESLA.name).write_bytes(b"\n\n   \t" + TESLA.read_bytes())
    outcome = _guarded(folder / TESLA.name)
    assert outcome["ok"] and outcome["facts"] == 1149


def test_huge_file_over_the_default_limit_is_refused_unread(tmp_path: Path) -> None:
    folder = tmp_path / "filing"
    folder.mkdir()
    path = folder / "huge.xml"
    with path.open("wb") as handle:  # sparse: 2 GiB on paper, nothing on disk
        handle.write(b"<?xml version='1.0'?><xbrl>")
        handle.truncate(2 * 1024**3)
    outcome = _guarded(path)
    assert not outcome["ok"] and "over the 104,857,600-byte limit" in outcome["error"], outcome
    assert outcome["seconds"] < 1.0 and outcome["network"] == [] and outcome["outside"] == []


def test_huge_file_is_refused(tmp_path: Path) -> None:
    from finlora.errors import FilingError
    from finlora.xbrl import load_filing

    os.environ["FINLORA_MAX_FILING_BYTES"] = "1000000"
    try:
        with pytest.raises(FilingError, match="over the 1,000,000-byte limit"):
            load_filing(TESLA)
    finally:
        del os.environ["FINLORA_MAX_FILING_BYTES"]


def test_cli_bad_file_exit_3_and_no_output(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes(BILLION_LAUGHS)
    out = tmp_path / "facts.jsonl"
    result = subprocess.run([sys.executable, "-m", "finlora", "facts", str(bad), "-o", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 3  # bad input (finlora/errors.py)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(bad) in lines[0]
    assert list(tmp_path.iterdir()) == [bad]


def test_cli_writes_facts(tmp_path: Path) -> None:
    out = tmp_path / "facts.csv"
    result = subprocess.run([sys.executable, "-m", "finlora", "facts", str(TESLA.parent),
                             "--concept", "Assets", "--format", "csv", "-o", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "112832000000" in out.read_text()
