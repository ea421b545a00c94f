"""Install a trained adapter folder as one of finlora's shipped adapters.

    python scripts/ship_adapter.py runs/main/adapters/sentiment sentiment

Writes finlora/adapters/<name>/: the weights cast to bf16, adapter_config.json,
finlora_metadata.json (with the tokenizer fingerprint that loading checks), metrics.jsonl, and a
"Training record" section at the end of its README.md (metadata and the command that produced
it; the text above that section is kept).
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

METADATA_NAME = "finlora_metadata.json"
SHIPPED = Path(__file__).resolve().parents[1] / "finlora" / "adapters"
RECORD = "## Training record"


def ship(adapter_dir: Path, name: str) -> Path:
    """Install a trained adapter as finlora/adapters/<name> (see the module docstring)."""
    import torch
    from safetensors.torch import load_file, save_file

    target = SHIPPED / name
    target.mkdir(parents=True, exist_ok=True)
    weights = load_file(adapter_dir / "adapter_model.safetensors")
    save_file({k: v.to(torch.bfloat16).contiguous() for k, v in weights.items()},
              target / "adapter_model.safetensors", metadata={"format": "pt"})
    for file in ("adapter_config.json", "finlora_metadata.json", "metrics.jsonl"):
        shutil.copy(adapter_dir / file, target / file)
    meta = json.loads((adapter_dir / "finlora_metadata.json").read_text())
    readme = target / "README.md"
    text = readme.read_text().split(RECORD)[0].rstrip() if readme.is_file() else f"# {name}"
    metrics, tokenizer = meta.get("metrics", {}), meta.get("tokenizer", {})
    rows = [("base model", meta["base_model"]), ("tasks", ", ".join(meta["tasks"])),
            ("examples", f"{meta['n_examples']} ({meta['split']} split)"),
            ("data sha256", meta["data_hash"]),
            ("tokenizer", ", ".join(f"{k} {v}" for k, v in tokenizer.items())),
            ("steps / final loss", f"{metrics.get('steps')} / {metrics.get('final_loss')}"),
            ("versions", ", ".join(f"{k} {v}" for k, v in meta.get("versions", {}).items())),
            ("finlora", meta["finlora_version"]), ("weights", "cast to bf16 for shipping")]
    table = "\n".join(f"| {key} | `{value}` |" for key, value in rows)
    readme.write_text(f"{text}\n\n{RECORD}\n\nWritten by `scripts/ship_adapter.py` "
                      f"from `{METADATA_NAME}`.\n\n| | |\n|---|---|\n{table}\n\n"
                      f"Reproduced by: `{meta.get('command', 'unknown')}`\n")
    return target



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("adapter_dir", type=Path, help="a folder written by finetune()")
    parser.add_argument("name", help="the shipped adapter's name, e.g. sentiment")
    args = parser.parse_args()
    print(ship(args.adapter_dir, args.name))


if __name__ == "__main__":
    main()
