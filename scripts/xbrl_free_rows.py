"""Free generation of the shipped xbrl-extraction adapter on the first N prompts of FinLoRA's
xbrl_value / xbrl_formula test sets (a CPU-sized run beside the grounded rows).

    python scripts/xbrl_free_rows.py OUT.json N
    python scripts/xbrl_free_rows.py OUT.json N grounded   # xbrl_formula grounded instead
"""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path

import torch

from finlora import tasks
from finlora.atomic import write_text_atomically
from finlora.evaluation import evaluate
from finlora.infer import Predictor

ADAPTER = Path(__file__).resolve().parents[1] / "finlora" / "adapters" / "xbrl-extraction"


def main() -> None:
    out, n = Path(sys.argv[1]), int(sys.argv[2])
    predictor = Predictor(adapters={"finetuned": ADAPTER}, batch_size=8)
    result = {"command": "python " + " ".join(sys.argv), "host": platform.node(),
              "torch": torch.__version__, "threads": torch.get_num_threads(), "rows": []}
    grounded = sys.argv[3:] == ["grounded"]
    for name in ("xbrl_formula",) if grounded else ("xbrl_value", "xbrl_formula"):
        task = tasks.get(name, grounded=grounded)
        r = evaluate(task, predictor=predictor, use_adapter="finetuned", limit=n)
        row = {"task": name if grounded else f"{name}_free", "n": r.n, "accuracy": r.metrics["accuracy"],
               "parse_failure_rate": r.parse_failure_rate, "seconds": round(r.seconds, 1),
               "max_new_tokens": task.max_new_tokens, "predictions": r.predictions,
               "targets": r.targets}
        result["rows"].append(row)
        print(json.dumps({k: row[k] for k in ("task", "n", "accuracy", "seconds")}), flush=True)
        write_text_atomically(out, json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
