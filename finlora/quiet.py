"""Quiet by default: the CLI's stderr carries finlora's own lines only.

`quiet_libraries()` runs before torch, transformers or bitsandbytes are imported. It turns off
the Hugging Face progress bars ("Loading weights", "Writing model shards"), third-party warnings
(e.g. transformers' FutureWarning about `is_gradient_checkpointing`) and third-party log lines.
finlora's own warnings and its rich progress bar (stderr, terminals only) stay. With
`verbose=True` (`finlora -v ...`) the libraries keep their own output and INFO logs show too.

bitsandbytes is kept from being imported at all unless a model is loaded nf4 / int8 (see
`finlora.models.load.load_base_model`): importing it on a CPU with AVX512-BF16 reaches for the
Hub ("Failed to load CPU gemm_4bit_forward from kernels-community").
"""

from __future__ import annotations

import logging
import os
import warnings

QUIET_ENV = {
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
}


def quiet_libraries(verbose: bool = False) -> None:
    """Silence third-party progress bars, warnings and logs (unless `verbose`)."""
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(name)s: %(levelname)s: %(message)s")
        return
    for name, value in QUIET_ENV.items():
        os.environ.setdefault(name, value)
    warnings.simplefilter("ignore")
    warnings.filterwarnings("default", module=r"finlora(\.|$)")
    root = logging.getLogger()
    root.addHandler(logging.NullHandler())  # no "last resort" printing of library warnings
    root.setLevel(logging.ERROR)
