"""FinLoRA's xbrl_tags / xbrl_value / xbrl_formula: grounded answers (and optionally free
generation) for the base model and an adapter, on the first N test lines of each set.

    python scripts/measure_finlora_xbrl.py --limit 20 --out docs/results/finlora_xbrl_cpu.json
    python scripts/measure_finlora_xbrl.py --free --out $OUT/finlora_xbrl.json     # GPU: all
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from finlora import tasks
from finlora.atomic import write_text_atomically
from finlora.evaluation import evaluate
from finlora.infer import Predictor

SHIPPED = Path(__file__).resolve().parents[1] / "finlora" / "adapters" / "xbrl-extraction"
SETS = ["xbrl_tags", "xbrl_value", "xbrl_formula"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--adapter", type=Path, default=SHIPPED)
    parser.add_argument("--free", action="store_true", help="also free generation")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--models", default="base,finetuned", help="base and/or finetuned")
    args = parser.parse_args()
    predictor = Predictor(adapters={"finetuned": args.adapter}, batch_size=args.batch_size)
    results: dict[str, dict] = {"command": f"python scripts/measure_finlora_xbrl.py "
                                f"--limit {args.limit} --models {args.models}"
                                f"{' --free' if args.free else ''}",
                                "host": platform.node(), "adapter": str(args.adapter),
                                "rows": []}
    for name in SETS:
        modes = [True, False] if args.free and name != "xbrl_tags" else [True]
        for grounded in modes:
            for use in args.models.split(","):
                task = tasks.get(name, grounded=grounded)
                start = time.perf_counter()
                result = evaluate(task, predictor=predictor, use_adapter=use, limit=args.limit)
                row = {"task": name, "grounded": grounded, "model": use, "n": result.n,
                       "accuracy": result.metrics["accuracy"],
                       "parse_failure_rate": result.parse_failure_rate,
                       "seconds": round(time.perf_counter() - start, 1)}
                results["rows"].append(row)
                print(json.dumps(row), flush=True)
                args.out.parent.mkdir(parents=True, exist_ok=True)
                write_text_atomically(args.out, json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()
