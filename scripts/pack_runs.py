"""Merge the results JSONs of several train_shipped_adapters.py runs into one file and tar their
adapters (bf16 already) into ≤15 MiB tars, so that a few files carry everything back.

    python scripts/pack_runs.py --runs /tmp/runs/a /tmp/runs/b --out $OUT --name levers
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import shipped_helpers as helpers

from finlora.atomic import write_text_atomically


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=Path, nargs="+", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--name", default="runs")
    parser.add_argument("--no-adapters", action="store_true")
    args = parser.parse_args()
    merged = {}
    adapters: list[Path] = []
    for run in args.runs:
        for results in sorted(run.glob("results-*.json")):
            merged[results.stem.removeprefix("results-")] = json.loads(results.read_text())
        for folder in sorted((run / "adapters").glob("*")):
            if (folder / "adapter_model.safetensors").is_file():
                renamed = folder.with_name(f"{run.name}-{folder.name}")
                folder.rename(renamed)
                adapters.append(renamed)
    args.out.mkdir(parents=True, exist_ok=True)
    write_text_atomically(args.out / f"{args.name}.json", json.dumps(merged, indent=1) + "\n")
    if not args.no_adapters:
        for tar in helpers.pack(adapters, args.out, f"adapters-{args.name}"):
            print(tar, tar.stat().st_size)


if __name__ == "__main__":
    main()
