"""Quiet by default: the CLI's stderr carries finlora's own lines only.

`quiet_libraries()` runs before torch, transformers or bitsandbytes are imported. It turns off
the Hugging Face progress bars ("Loading weights", "Writing model shards"), third-party warnings
(e.g. transformers' FutureWarning about `is_gradient_checkpointing`) and third-party log lines.
finlora's own warnings and its rich progress bar (stderr, terminals only) stay. With
`verbose=True` (`finlora -v ...`) the libraries keep their own output and INFO logs show too.

bitsandbytes is kept from being imported at all unless the command line may load a model
nf4 / int8 (`bitsandbytes_wanted`; in Python, `load_base_model` does the same): importing it on
a CPU with AVX512-BF16 reaches for the Hub ("Failed to load CPU gemm_4bit_forward from
kernels-community"), and PEFT imports it as soon as PEFT itself is imported.
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


def bitsandbytes_wanted(args: list[str]) -> bool:
    """Whether a command line may load a model nf4 / int8 (so bitsandbytes must stay
    importable): it names nf4 or int8, or it trains without `-q none` (QLoRA nf4 is the
    default there, and a --config file may ask for it)."""
    if any(value in arg for arg in args for value in ("nf4", "int8")):
        return True
    if "train" not in args:
        return False
    for flag, value in zip(args, [*args[1:], ""], strict=True):
        if flag in ("-q", "--quantization") and value == "none":
            return False
        if flag in ("-qnone", "--quantization=none"):
            return False
    return True


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
