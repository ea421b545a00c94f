"""Fixtures for inference tests: the real embedded model, loaded once for the whole area."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def predictor(embedded_model_path: str):
    from finlora.infer import Predictor

    return Predictor(embedded_model_path, batch_size=16)
