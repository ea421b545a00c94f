"""The task registry: every task registered once, by name."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from finlora.errors import DataError
from finlora.tasks.base import Task
from finlora.tasks.finlora_xbrl import FinLoRAXBRL
from finlora.tasks.headline import Headline
from finlora.tasks.ner import NER
from finlora.tasks.sentiment import VARIANTS, Sentiment
from finlora.tasks.xbrl_extraction import FILES as EXTRACTION_FILES
from finlora.tasks.xbrl_tagging import FILES as TAGGING_FILES
from finlora.tasks.xbrl_tagging import RETRIEVAL_K, XBRLTagging

_REGISTRY: dict[str, Callable[..., Task]] = {}
GROUPS: dict[str, tuple[str, ...]] = {
    "sentiment": tuple(VARIANTS),
    "finlora": (*VARIANTS, "ner", "headline", "finer", "fnxl",
                "xbrl_tags", "xbrl_value", "xbrl_formula"),  # FinLoRA's benchmark, in its order
}


def register(name: str, factory: Callable[..., Task]) -> None:
    """Make a task available as `tasks.get(name)`."""
    if name in _REGISTRY:
        raise ValueError(f"task {name!r} is already registered")
    _REGISTRY[name] = factory


for _variant in VARIANTS:
    register(_variant, lambda v=_variant, **kw: Sentiment(v, **kw))
register("ner", NER)
register("headline", Headline)
for _fmt in TAGGING_FILES:
    register(_fmt, lambda f=_fmt, **kw: XBRLTagging(f, **{"retrieval_k": RETRIEVAL_K, **kw}))
for _name in EXTRACTION_FILES:
    register(_name, lambda n=_name, **kw: FinLoRAXBRL(n, **kw))


def names() -> list[str]:
    """Every registered task name."""
    return list(_REGISTRY)


def get(name: str, **options: Any) -> Task:
    """A new task object by name; unknown names give a DataError listing the known ones.

    `options` go to the task's constructor, e.g. `get("headline", data="headline.jsonl")`."""
    if name not in _REGISTRY:
        raise DataError(f"unknown task {name!r}: choose from {', '.join(names())} "
                        f"(groups: {', '.join(GROUPS)})")
    try:
        return _REGISTRY[name](**options)
    except TypeError as exc:
        raise DataError(f"task {name!r}: bad options {sorted(options)} ({exc})") from exc


def expand_names(spec: str | Sequence[str]) -> list[str]:
    """Task names from a comma-separated string or list, group names (`sentiment`, `finlora`)
    expanded, order kept, no repeats."""
    items = spec.split(",") if isinstance(spec, str) else spec
    expanded: list[str] = []
    for item in (i.strip() for i in items if i.strip()):
        for name in GROUPS.get(item, (item,)):
            if name not in expanded:
                expanded.append(name)
    return expanded


def get_many(spec: str | Sequence[str]) -> list[Task]:
    """Tasks from a comma-separated string or list, with group names expanded."""
    return [get(name) for name in expand_names(spec)]
