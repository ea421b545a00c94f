"""finlora: finetune quantized LLMs with LoRA on financial tasks, and use them on SEC filings.

The public face. Names are imported lazily so that `import finlora` (and the XBRL and task
layers) do not pull in torch.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_filing": "finlora.xbrl",
    "Filing": "finlora.xbrl",
    "Fact": "finlora.xbrl",
    "Sentiment": "finlora.tasks",
    "NER": "finlora.tasks",
    "Headline": "finlora.tasks",
    "XBRLTagging": "finlora.tasks",
    "XBRLExtraction": "finlora.tasks",
    "finetune": "finlora.train",
    "TrainConfig": "finlora.train",
    "XBRLTagger": "finlora.infer",
    "Predictor": "finlora.infer",
    "evaluate": "finlora.evaluation",
    "FinloraError": "finlora.errors",
    "FilingError": "finlora.errors",
    "ConfigError": "finlora.errors",
    "ModelError": "finlora.errors",
    "DataError": "finlora.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'finlora' has no attribute {name!r}")
