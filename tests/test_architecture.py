"""The package's shape, checked from its source (imports parsed with ast, nothing imported):
no module over 300 lines, imports only down the layers of docs/architecture.md, no cycles."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "finlora"
MAX_LINES = 300

# Lowest first. A module may import from its own package and from lower layers only
# (finlora/__init__.py, the public face, imports lazily and is not part of any layer).
LAYERS: list[tuple[str, set[str]]] = [
    ("foundation", {"errors", "atomic", "cache", "progress", "quiet", "torchrun"}),
    ("xbrl", {"xbrl"}),
    ("tasks", {"tasks"}),
    ("models", {"models"}),
    ("train / infer", {"train", "infer"}),
    ("evaluation", {"evaluation"}),
    ("cli", {"cli"}),
    ("entry point", {"__main__"}),
]

# Being fixed on other branches; the lead empties these lists once they are gone (a test
# says when an entry is no longer needed).
KNOWN_CYCLES_TO_REMOVE: list[tuple[str, str]] = []
KNOWN_LONG_MODULES_TO_SPLIT: list[str] = []


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(module: str, source: str, is_package: bool) -> set[str]:
    """The finlora modules `module` imports, at any depth (lazy imports included): `from a
    import b` counts as importing a.b when that is a module, else a."""
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return {name for name in found if name in MODULES and name != module}


GRAPH = {module: _imports(module, path.read_text(encoding="utf-8"), path.name == "__init__.py")
         for module, path in MODULES.items()}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if len(parts) == 1:
        return None  # finlora itself
    for rank, (_, tops) in enumerate(LAYERS):
        if parts[1] in tops:
            return rank
    raise AssertionError(f"{module}: not in any layer of LAYERS; add it to docs/architecture.md "
                         "and to this table")


def _long_modules() -> dict[str, int]:
    return {m: n for m, p in MODULES.items()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}


def test_no_module_is_longer_than_300_lines() -> None:
    long = {m: n for m, n in _long_modules().items() if m not in KNOWN_LONG_MODULES_TO_SPLIT}
    assert not long, f"split these into smaller modules: {long}"


def test_imports_only_run_down_the_layers() -> None:
    upward = []
    for module, targets in GRAPH.items():
        mine = _layer(module)
        for target in targets:
            theirs = _layer(target)
            same_package = module.split(".")[:2] == target.split(".")[:2]
            if mine is None or theirs is None or same_package:
                continue
            if theirs >= mine:
                upward.append(f"{module} ({LAYERS[mine][0]}) -> {target} ({LAYERS[theirs][0]})")
    assert not upward, "imports against the layers:\n" + "\n".join(sorted(upward))


def _cycles() -> set[tuple[str, ...]]:
    """Every import cycle, as the sorted tuple of its modules (Tarjan's strongly connected
    components with more than one module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[tuple[str, ...]] = set()

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.add(tuple(sorted(component)))

    for module in GRAPH:
        if module not in index:
            visit(module)
    return found


def test_no_import_cycles() -> None:
    known = {tuple(sorted(pair)) for pair in KNOWN_CYCLES_TO_REMOVE}
    cycles = {c for c in _cycles() if c not in known}
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in sorted(cycles))


ML_LIBRARIES = {"torch", "transformers", "peft", "bitsandbytes", "accelerate", "safetensors"}


def _third_party_imports(source: str) -> set[str]:
    """Top-level names of every module `source` imports, at any depth (lazy ones included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_xbrl_tasks_and_the_foundation_never_import_torch() -> None:
    """Not even lazily: the xbrl and tasks layers and the foundation (but torchrun.py, whose
    functions set up torch.distributed) import no ML library."""
    light = [m for m in MODULES if _layer(m) is not None and _layer(m) <= 2
             and m != "finlora.torchrun"]
    heavy = {m: sorted(found) for m in light
             if (found := _third_party_imports(MODULES[m].read_text(encoding="utf-8"))
                 & ML_LIBRARIES)}
    assert "finlora.xbrl.filing" in light and "finlora.tasks.base" in light
    assert not heavy, f"these modules import ML libraries: {heavy}"


def test_the_known_exceptions_are_still_needed() -> None:
    """Once a known cycle or long module is gone, take it off its list."""
    cycles = _cycles()
    gone = [pair for pair in KNOWN_CYCLES_TO_REMOVE if tuple(sorted(pair)) not in cycles]
    assert not gone, f"remove from KNOWN_CYCLES_TO_REMOVE: {gone}"
    split = [m for m in KNOWN_LONG_MODULES_TO_SPLIT if m not in _long_modules()]
    assert not split, f"remove from KNOWN_LONG_MODULES_TO_SPLIT: {split}"


def test_the_parser_sees_lazy_and_relative_imports() -> None:
    source = ("import os\n"
              "def f():\n    from ..train import recipe\n    from finlora.cli import main\n"
              "    from . import query\n    import finlora.errors\n")
    assert _imports("finlora.xbrl.probe", source, is_package=False) == {
        "finlora.train.recipe", "finlora.cli", "finlora.xbrl.query", "finlora.errors"}
    assert _third_party_imports(source + "def g():\n    import torch.nn\n    from peft import x\n"
                                ) == {"os", "finlora", "torch", "peft"}
