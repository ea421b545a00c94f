"""Shared fixtures: real filings and the real embedded model, all offline."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
FILINGS = REPO / "examples" / "filings"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """GPU tests skip cleanly on machines without CUDA."""
    try:
        import torch

        has_cuda = torch.cuda.is_available()
    except ImportError:
        has_cuda = False
    if has_cuda:
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def filings_dir() -> Path:
    return FILINGS


@pytest.fixture(scope="session")
def embedded_model_path() -> str:
    """The converted embedded SmolLM2-135M-Instruct folder (converted once per machine)."""
    from finlora.models import resolve_model

    return resolve_model(None)
