"""Every kind of expected failure exits with its own code through the real CLI (`main()`), as
one `error: ...` line on stderr and no traceback. Codes: finlora/errors.py, docs/cli.md."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from finlora.errors import ConfigError, DataError, FilingError, FinloraError, ModelError

TESLA = Path(__file__).resolve().parents[1] / "examples/filings/tesla-10q-2024-06-30"
DOCUMENTED = {"usage": 2, "data": 3, "model": 4, "config": 5, "batch": 6, "other": 7}


def finlora(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "finlora", *args], capture_output=True,
                          text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"}, cwd=cwd,
                          timeout=600)


def assert_one_error_line(result: subprocess.CompletedProcess[str], code: int,
                          mentions: str) -> None:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert mentions in lines[0]


def test_error_classes_carry_the_documented_codes() -> None:
    assert FilingError("f.xml", "bad").exit_code == DataError("x").exit_code == 3
    assert ModelError("x").exit_code == 4
    assert ConfigError("x").exit_code == 5
    assert FinloraError("x").exit_code == 7
    assert len({2, 3, 4, 5, 6, 7}) == len(DOCUMENTED)


def test_help_documents_the_exit_codes() -> None:
    result = finlora("--help")
    assert result.returncode == 0
    assert "Exit codes:" in result.stdout
    for code, words in [(2, "usage"), (3, "bad input"), (4, "model or adapter"),
                        (5, "configuration"), (6, "batch")]:
        assert any(line.strip().startswith(f"{code} ") and words in line
                   for line in result.stdout.splitlines()), (code, result.stdout)


def test_usage_error_is_2() -> None:
    result = finlora("facts")  # missing FILING
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "Missing argument" in result.stderr
    assert finlora("no-such-command").returncode == 2


def test_missing_filing_is_3(tmp_path: Path) -> None:
    assert_one_error_line(finlora("facts", str(tmp_path / "none.xml")), 3, "no such file")


def test_corrupt_filing_is_3(tmp_path: Path) -> None:
    broken = tmp_path / "corrupt.xml"
    broken.write_text("<xbrl><not-closed>")
    assert_one_error_line(finlora("facts", str(broken)), 3, "corrupt.xml")


def test_instance_with_a_doctype(tmp_path: Path) -> None:
    """A bare DOCTYPE reads as without it (its DTD never loaded); one with a DTD subset is
    bad input: exit 3, naming the file, nothing on stdout."""
    original = TESLA / "tsla-20240630_htm.xml"
    data = original.read_bytes()
    head = data.index(b"?>") + 2
    bare = tmp_path / "bare" / original.name
    subset = tmp_path / "subset" / original.name
    for path, doctype in [(bare, b'<!DOCTYPE xbrl SYSTEM "http://www.xbrl.org/2003/x.dtd">'),
                          (subset, b'<!DOCTYPE xbrl [<!ATTLIST xbrl a CDATA "b">]>')]:
        shutil.copytree(TESLA, path.parent)
        path.write_bytes(data[:head] + b"\n" + doctype + data[head:])
    read = finlora("facts", str(bare))
    assert read.returncode == 0, read.stderr
    assert read.stdout == finlora("facts", str(original)).stdout
    refused = finlora("facts", str(subset))
    assert_one_error_line(refused, 3, str(subset))
    assert "DTD" in refused.stderr and refused.stdout == ""


def test_unknown_task_is_bad_data_3(tmp_path: Path) -> None:
    result = finlora("train", "--task", "no-such-task", "-o", str(tmp_path / "run"))
    assert_one_error_line(result, 3, "no-such-task")


# a missing model (4): tests/test_foundation.py::test_missing_model_in_cli_exits_4


def test_bad_configuration_is_5(tmp_path: Path) -> None:
    result = finlora("train", "--task", "fpb", "--config", str(tmp_path / "missing.yaml"),
                     "-o", str(tmp_path / "run"))
    assert_one_error_line(result, 5, "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("learning_rate: -1\n")
    result = finlora("train", "--task", "fpb", "--config", str(bad), "-o", str(tmp_path / "r"))
    assert_one_error_line(result, 5, "learning_rate")


def test_other_finlora_error_is_7() -> None:
    result = finlora("facts", str(TESLA / "tsla-20240630_htm.xml"), "--format", "parquet")
    assert_one_error_line(result, 7, "-o/--output")


def test_batch_partial_failure_is_6(tmp_path: Path, monkeypatch, capsys) -> None:
    """The real main() and batch command, with the model swapped for a stub and one filing
    failing (the real run over filings is tests/infer/test_extract_cli.py, slow)."""
    import finlora.infer
    import finlora.infer.batch
    from finlora.cli import main
    from finlora.infer.batch import BatchResult

    def fake_run(paths, out_dir, tagger, **_):
        return BatchResult(ok=[str(paths[0])], failed={"corrupt.xml": "not XML"})

    monkeypatch.setattr(finlora.infer.XBRLTagger, "from_pretrained", lambda *a, **k: object())
    monkeypatch.setattr(finlora.infer.batch, "run_batch", fake_run)
    monkeypatch.setattr(sys, "argv", ["finlora", "batch", str(TESLA), "-o", str(tmp_path)])
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code == 6
    err = capsys.readouterr().err
    assert "1 failed" in err and "corrupt.xml" in err and "Traceback" not in err


@pytest.mark.slow
def test_adapter_with_another_tokenizer_is_4(tmp_path: Path) -> None:
    import json
    import shutil

    from finlora.models import shipped_adapters

    source = next(a for a in shipped_adapters() if a.name == "sentiment")
    adapter = tmp_path / "drifted"
    shutil.copytree(source, adapter)
    meta = json.loads((adapter / "finlora_metadata.json").read_text())
    meta["tokenizer"] = {"bos_token_id": 1, "eos_token_id": 1, "pad_token_id": 1,
                         "unk_token_id": 0}  # what transformers 5.17 gave the embedded model
    (adapter / "finlora_metadata.json").write_text(json.dumps(meta))
    args = ["eval", "--task", "fpb", "--limit", "1", "--adapter", str(adapter),
            "-o", str(tmp_path / "results")]
    assert_one_error_line(finlora(*args), 4, "eos_token_id: adapter 1 vs base 2")
    allowed = finlora("--allow-tokenizer-mismatch", *args)
    assert allowed.returncode == 0, allowed.stderr
    assert "loading it anyway" in allowed.stderr
