"""`finlora batch` throughput: filings/s for extraction on the bundled filings, repeated, with
the filings parsed in this process (`--workers 0`) and in CPU worker processes while the model
scores in this one (`finlora.infer.parse_pool`).

Per worker count, filings/s of `run_batch` (what `finlora batch` runs) with
  rules   extraction without a model (parsing and the statement rules only), and
  model   an `XBRLTagger` whose model cross-checks and resolves lines (label scoring),
and for `model` the share of the wall time the scorer was busy (its calls' seconds / wall).
The model: `--model embedded` (SmolLM2-135M, if it is prepared on this machine), a model
folder, or `random-8b` / `random-tiny`: a Llama-3.1-8B-shaped (or tiny) model with random
weights and a byte-pair tokenizer trained here on the filings' own text (vocabulary 8,000; its
token counts are near a real tokenizer's on this text). Results: benchmarks/results/
batch_<device>_<tag>.json (written after every measurement).

    python benchmarks/bench_batch.py --model random-8b --repeat 20 --workers 0,8   # H200
    python benchmarks/bench_batch.py --model embedded --repeat 2 --workers 0,1      # CPU
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import torch

from finlora.atomic import write_text_atomically
from finlora.infer.batch import find_filings, run_batch
from finlora.infer.extraction import extract

HERE = Path(__file__).parent
FILINGS = HERE.parent / "examples" / "filings"


def byte_pair_tokenizer(filings: list[Path], vocab: int = 8000):
    """A BPE tokenizer trained on the filings' text (first 1 MB of each file)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    texts = [f.read_text(errors="ignore")[:1_000_000] for d in filings for f in sorted(d.iterdir())
             if f.suffix in {".htm", ".xml", ".xsd"}]
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(texts, trainers.BpeTrainer(
        vocab_size=vocab, special_tokens=["<|endoftext|>", "<unk>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>",
                                   pad_token="<|endoftext|>", unk_token="<unk>")


def random_model(shape: str, vocab: int, device: str):
    from llama8b import llama_config, random_llama

    config = llama_config(tiny=shape == "random-tiny")
    config.vocab_size = vocab
    config.bos_token_id, config.eos_token_id, config.pad_token_id = None, 0, 0
    return random_llama(config, device, torch.bfloat16).eval()


def tagger_for(spec: str, filings: list[Path], device: str, batch_size: int):
    from finlora.infer.predictor import Predictor
    from finlora.infer.tagger import XBRLTagger

    if spec.startswith("random-"):
        tokenizer = byte_pair_tokenizer(filings)
        model = random_model(spec, len(tokenizer), device)
        predictor = Predictor(spec, model=model, tokenizer=tokenizer, batch_size=batch_size)
    else:
        predictor = Predictor(None if spec == "embedded" else spec, device=device,
                              batch_size=batch_size)
    return XBRLTagger(predictor)


class Rules:
    """A tagger without a model: parsing and the statement rules only."""

    def extract(self, filing, questions=None):
        return extract(None, filing, questions)


class Timed:
    """Wraps a tagger; adds up the seconds spent in `extract` after parsing (the model's
    scoring and the rules, on this process's device)."""

    def __init__(self, tagger) -> None:
        self.tagger, self.seconds = tagger, 0.0

    def extract(self, filing, questions=None):
        start = time.perf_counter()
        try:
            return self.tagger.extract(filing, questions)
        finally:
            if torch.cuda.is_available():
                torch.cuda.synchronize()
            self.seconds += time.perf_counter() - start


def measure(paths: list[Path], tagger, workers: int) -> dict:
    timed = Timed(tagger)
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        result = run_batch(paths, out, timed, force=True, show_progress=False, workers=workers)
        wall = time.perf_counter() - start
    return {"filings": len(paths), "ok": len(result.ok), "failed": len(result.failed),
            "seconds": round(wall, 3), "filings_per_s": round(len(paths) / wall, 3),
            "extract_busy": round(timed.seconds / wall, 3),
            "first_error": next(iter(result.failed.values()), None)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--repeat", type=int, default=10, help="times the filings are listed")
    parser.add_argument("--workers", default="0,4")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--tag", default="workers")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    name = torch.cuda.get_device_name() if device == "cuda" else "cpu"
    slug = "h200" if "H200" in name else name.split()[-1].lower()
    path = args.out / f"batch_{slug}_{args.tag}.json"
    filings = find_filings(FILINGS)
    paths = filings * args.repeat
    result: dict = {"device": name, "command": vars(args) | {"out": str(path)},
                    "cpu_cores": os.cpu_count(), "load_avg_start": os.getloadavg(),
                    "filings": [p.name for p in filings], "rows": [], "errors": {}}

    def save() -> None:
        write_text_atomically(path, json.dumps(result, indent=1, default=str))

    taggers: dict[str, object] = {"rules": Rules()}
    try:
        start = time.perf_counter()
        taggers["model"] = tagger_for(args.model, filings, device, args.batch_size)
        result["model_load_s"] = round(time.perf_counter() - start, 2)
        measure(filings[:2], taggers["model"], 0)  # warm-up: prefix caches, graphs
    except Exception as exc:  # noqa: BLE001 - the rules rows still say what parsing costs
        result["errors"]["model"] = f"{type(exc).__name__}: {str(exc)[:500]}"
        print(f"model {args.model}: FAILED {result['errors']['model']}", flush=True)
    for kind, tagger in taggers.items():
        for workers in (int(w) for w in args.workers.split(",")):
            try:
                row = {"extraction": kind, "workers": workers, **measure(paths, tagger, workers)}
            except Exception as exc:  # noqa: BLE001 - one failing row must not lose the run
                result["errors"][f"{kind} workers={workers}"] = f"{type(exc).__name__}: {exc}"
                continue
            result["rows"].append(row)
            print(json.dumps(row), flush=True)
            save()
    result["load_avg_end"] = os.getloadavg()  # 1, 5, 15 min: the machine's other work
    save()
    print(f"results: {path}")


if __name__ == "__main__":
    main()
