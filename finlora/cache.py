"""Where finlora keeps what it builds once: converted models, stub taxonomies, datasets.

`FINLORA_CACHE` overrides the location; otherwise `$XDG_CACHE_HOME/finlora` (default
`~/.cache/finlora`).
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(*parts: str) -> Path:
    """The finlora cache directory (or a sub-directory of it), created on demand."""
    root = os.environ.get("FINLORA_CACHE")
    if root:
        base = Path(root).expanduser()
    else:
        xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        base = Path(xdg).expanduser() / "finlora"
    path = base.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
