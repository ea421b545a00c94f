"""`run_batch` with filings parsed in worker processes: same results as in-process, a bad
file recorded without stopping the batch, resumable (a model stand-in records what it got)."""

from __future__ import annotations

import json
import shutil
import zipfile

from finlora.infer.batch import find_filings, run_batch

from .conftest import EXPECTED_FACTS, FILINGS


class Recorder:
    """Stands in for XBRLTagger: remembers each filing it is given."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, int]] = []

    def extract(self, filing, questions):  # noqa: ANN001, ANN201
        self.seen.append((filing.path.parent.name, len(filing.facts)))
        return []


def test_parallel_parsing_batch(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("FINLORA_CACHE", str(tmp_path / "cache"))
    batch = tmp_path / "filings"
    batch.mkdir()
    for name in ("tesla-10q-2024-06-30", "apple-10q-2025-03-29"):
        shutil.copytree(FILINGS / name, batch / name)
    with zipfile.ZipFile(batch / "netflix.zip", "w") as archive:
        for path in (FILINGS / "netflix-10k-2023-12-31").iterdir():
            archive.write(path, path.name)
    (batch / "corrupt.xml").write_text("<xbrl><not-closed>")
    (batch / "README.txt").write_text("notes, not a submission")
    paths = find_filings(batch)
    assert [p.name for p in paths] == ["apple-10q-2025-03-29", "corrupt.xml", "netflix.zip",
                                       "tesla-10q-2024-06-30"]
    pooled, alone = Recorder(), Recorder()
    result = run_batch(paths, tmp_path / "out", pooled, workers=2, show_progress=False)
    assert sorted(result.failed) == [str(batch / "corrupt.xml")]
    assert "malformed XML" in result.failed[str(batch / "corrupt.xml")]
    assert len(result.ok) == 3
    run_batch(paths, tmp_path / "out0", alone, workers=0, show_progress=False)
    assert pooled.seen == alone.seen
    assert [n for _, n in pooled.seen] == [EXPECTED_FACTS["apple-10q-2025-03-29"],
                                           EXPECTED_FACTS["netflix-10k-2023-12-31"],
                                           EXPECTED_FACTS["tesla-10q-2024-06-30"]]
    again = run_batch(paths, tmp_path / "out", Recorder(), workers=2, show_progress=False)
    assert len(again.skipped) == 3 and list(again.failed) == [str(batch / "corrupt.xml")]
    manifest = [json.loads(line) for line in (tmp_path / "out" / "manifest.jsonl").open()]
    assert [e["status"] for e in manifest].count("skipped") == 3
