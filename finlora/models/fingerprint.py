"""The tokenizer an adapter was trained with: its fingerprint (special-token ids and a hash of
the vocabulary), written into every adapter's finlora_metadata.json, and checked when the
adapter is loaded onto a base model.

Loading an adapter whose fingerprint differs from the base tokenizer's is refused (its answers
would end with another token than the scorer expects). The override, for those who know what
they do: `allow_tokenizer_mismatch=True`, `finlora --allow-tokenizer-mismatch ...`, or the
environment variable FINLORA_ALLOW_TOKENIZER_MISMATCH=1.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from finlora.errors import ModelError
from finlora.models.convert import special_token_ids

METADATA = "finlora_metadata.json"
FINGERPRINT_KEY = "tokenizer"
ALLOW_MISMATCH_ENV = "FINLORA_ALLOW_TOKENIZER_MISMATCH"


def answer_end_id(tokenizer: Any) -> int:
    """The token that ends every answer: appended to training targets, and the end token the
    scorer appends to a label that is a token prefix of another."""
    eos = tokenizer.eos_token_id
    if eos is None:
        raise ModelError("the tokenizer has no EOS token; answers need one to end")
    return int(eos)


def tokenizer_fingerprint(tokenizer: Any) -> dict[str, Any]:
    """Special-token ids, the vocabulary size and the sha256 of the (token, id) pairs."""
    vocab = sorted(tokenizer.get_vocab().items(), key=lambda item: (item[1], item[0]))
    digest = hashlib.sha256(json.dumps(vocab, ensure_ascii=False).encode("utf-8")).hexdigest()
    return {**special_token_ids(tokenizer), "answer_end_id": answer_end_id(tokenizer),
            "vocab_size": len(vocab), "vocab_sha256": digest}


def adapter_fingerprint(adapter_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The fingerprint recorded in an adapter's metadata (None when it has none)."""
    path = Path(adapter_dir) / METADATA
    if not path.is_file():
        return None
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: unreadable adapter metadata ({exc})") from exc
    return meta.get(FINGERPRINT_KEY)


def _mismatch_allowed(allow: bool | None) -> bool:
    if allow is not None:
        return allow
    return os.environ.get(ALLOW_MISMATCH_ENV, "").strip().lower() in {"1", "true", "yes"}


def check_adapter_tokenizer(adapter_dir: str | os.PathLike[str], tokenizer: Any, *,
                            base: str = "the base model",
                            allow_mismatch: bool | None = None) -> None:
    """Refuse an adapter trained with another tokenizer than `tokenizer` (ModelError naming both
    fingerprints). A finlora adapter without a fingerprint (trained before finlora recorded it)
    loads with a warning on stderr; a plain PEFT adapter (no finlora metadata) is not checked."""
    adapter_dir = Path(adapter_dir)
    has_meta = (adapter_dir / METADATA).is_file()
    recorded = adapter_fingerprint(adapter_dir)
    if recorded is None:
        if has_meta:
            print(f"finlora: warning: adapter {adapter_dir} records no tokenizer fingerprint "
                  "(trained by an older finlora); its end-of-answer token cannot be checked: "
                  "retrain it", file=sys.stderr)
        return
    current = tokenizer_fingerprint(tokenizer)
    differ = sorted(k for k in recorded if recorded.get(k) != current.get(k))
    if not differ:
        return
    detail = ", ".join(f"{k}: adapter {recorded.get(k)!r} vs base {current.get(k)!r}"
                       for k in differ)
    message = (f"adapter {adapter_dir} was trained with another tokenizer than {base}'s "
               f"({detail}). Adapter tokenizer: {json.dumps(recorded)}; base tokenizer: "
               f"{json.dumps(current)}")
    if _mismatch_allowed(allow_mismatch):
        print(f"finlora: warning: {message}; loading it anyway (tokenizer mismatch allowed)",
              file=sys.stderr)
        return
    raise ModelError(f"{message}. Retrain the adapter on this base model, or load it anyway "
                     "with allow_tokenizer_mismatch=True / --allow-tokenizer-mismatch / "
                     f"{ALLOW_MISMATCH_ENV}=1")
