"""The Arelle engine: full XBRL processing (inline documents, taxonomy packages), offline.

Arelle keeps process-wide state, so one controller serves the process and each load is closed
after its facts are copied out; loads from several threads take turns (a lock).
Parallelise with processes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from finlora.cache import cache_dir
from finlora.errors import FilingError
from finlora.xbrl.instance import make_fact, parse_context, parse_unit
from finlora.xbrl.linkbases import read_linkbases
from finlora.xbrl.parts import FilingParts
from finlora.xbrl.safe_xml import document_bytes, parse_bytes
from finlora.xbrl.stubs import find_schema_ref, plan_stubs, write_stubs

_controller: Any = None
_lock = threading.Lock()  # Arelle's controller, web cache and packages are shared state


def controller() -> Any:
    """The process's Arelle controller: offline, logging to a buffer, SEC transforms registered."""
    global _controller
    if _controller is None:
        from arelle import Cntlr, PackageManager

        from finlora.xbrl.sec_transforms import register

        cntlr = Cntlr.Cntlr(logFileName="logToBuffer")
        cntlr.webCache.workOffline = True
        cntlr.modelManager.customTransforms = {}
        register(cntlr.modelManager.customTransforms)
        PackageManager.init(cntlr, loadPackagesConfig=False)
        _controller = cntlr
    return _controller


def _stub_root(entry: Path, packages: tuple[str, ...]) -> Path:
    stat = entry.stat()
    key = f"{entry.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{'|'.join(packages)}|v2"
    return cache_dir("taxonomies", "stubs", hashlib.sha1(key.encode()).hexdigest()[:16])


def _use_packages(cntlr: Any, packages: tuple[str, ...]) -> list[str]:
    """Activate the packages for one load; return their names for `_drop_packages`."""
    from arelle import PackageManager

    names: list[str] = []
    try:
        for package in packages:
            path = Path(package)
            if not path.is_file():
                raise FilingError(path, "taxonomy package not found")
            info = PackageManager.addPackage(cntlr, str(path.resolve()))
            if info is None:
                raise FilingError(path, "not a valid taxonomy package (zip with META-INF/)")
            names.append(info["name"])
    except FilingError:
        _drop_packages(cntlr, names)
        raise
    PackageManager.rebuildRemappings(cntlr)
    return names


def _drop_packages(cntlr: Any, names: list[str]) -> None:
    """Deactivate packages after a load, so one load's packages never leak into the next."""
    from arelle import PackageManager

    for name in names:
        PackageManager.removePackageModule(cntlr, name)
    if names:
        PackageManager.rebuildRemappings(cntlr)


@contextlib.contextmanager
def _readable_copy(entry: Path, data: bytes) -> Iterator[Path]:
    """`entry` itself when Arelle can read it as is; otherwise a cleaned copy (leading
    whitespace / BOM removed, HTML entities as numeric references) under the same name in a
    temporary folder whose other files link to the filing's own, so references still resolve."""
    if entry.read_bytes() == data:
        yield entry
        return
    with tempfile.TemporaryDirectory(dir=cache_dir("tmp")) as folder:
        for sibling in entry.parent.iterdir():
            if sibling.name != entry.name:
                os.symlink(sibling.resolve(), Path(folder) / sibling.name)
        copy = Path(folder) / entry.name
        copy.write_bytes(data)
        yield copy


def load_with_arelle(entry: Path, taxonomy_packages: tuple[str | os.PathLike[str], ...] = (),
                     ) -> FilingParts:
    """Load `entry` (instance or inline document) with Arelle, offline, with stub schemas.

    Taxonomy packages are active for this load only.
    """
    data = document_bytes(entry)
    root = parse_bytes(data, entry)  # safety checks before Arelle sees the file
    schema = find_schema_ref(entry, root)
    packages = tuple(str(p) for p in taxonomy_packages)
    with _lock:
        cntlr = controller()
        names = _use_packages(cntlr, packages)
        try:
            with _readable_copy(entry, data) as readable:
                return _load(cntlr, entry, readable, root, schema, packages)
        finally:
            _drop_packages(cntlr, names)


def _load(cntlr: Any, entry: Path, readable: Path, root: Any, schema: Path | None,
          packages: tuple[str, ...]) -> FilingParts:
    from arelle import PackageManager

    stub_dir = _stub_root(entry, packages)
    web_cache = cntlr.webCache
    builtin = web_cache.builtInCacheDir

    def available(url: str) -> bool:
        if PackageManager.isMappedUrl(url):
            return True
        return os.path.exists(web_cache.urlToCacheFilepath(url, cacheDir=builtin))

    plan = plan_stubs(entry, root, schema)
    stubbed = write_stubs(plan, stub_dir, lambda url: web_cache.urlToCacheFilepath(
        url, cacheDir=str(stub_dir)), available)
    web_cache.cacheDir = str(stub_dir)
    model = cntlr.modelManager.load(str(readable))
    try:
        if model is None or model.modelDocument is None:
            messages = "; ".join(cntlr.logHandler.getLines()[-3:]) if hasattr(
                cntlr.logHandler, "getLines") else ""
            raise FilingError(entry, f"Arelle could not load the document. {messages}".strip())
        labels, calculations = read_linkbases(schema)
        facts = [_fact(f, entry, labels) for f in _item_facts(model.facts)]
        contexts = {cid: parse_context(c, entry) for cid, c in model.contexts.items()}
        units = {uid: parse_unit(u) for uid, u in model.units.items()}
    finally:
        if model is not None:
            cntlr.modelManager.close(model)
        if hasattr(cntlr.logHandler, "clearLogBuffer"):
            cntlr.logHandler.clearLogBuffer()
    return FilingParts(path=entry, facts=facts, contexts=contexts, units=units, labels=labels,
                       calculations=calculations, engine="arelle", stub_schemas=stubbed)


def _item_facts(facts: Any) -> Iterator[Any]:
    """Item facts in document order, those inside tuples included (tuples have no context)."""
    for fact in facts:
        if fact.isTuple:
            yield from _item_facts(fact.modelTupleFacts)
        else:
            yield fact


def _fact(fact: Any, entry: Path, labels: dict[str, str]) -> Any:
    qname = fact.qname
    concept = f"{qname.prefix}:{qname.localName}" if qname.prefix else qname.localName
    try:
        value = fact.value
    except Exception as exc:  # a transform that cannot read the displayed text
        raise FilingError(entry, f"fact {fact.id or concept}: {exc}") from exc
    context = fact.context
    if context is None:
        raise FilingError(entry, f"fact {fact.id or concept} has no context")
    unit = parse_unit(fact.unit) if fact.unit is not None else None
    return make_fact(
        concept=concept, namespace=qname.namespaceURI or "", value=(value or "").strip(),
        context=parse_context(context, entry), unit=unit, decimals=fact.decimals,
        is_nil=bool(fact.isNil), fact_id=fact.id, source=fact.modelDocument.basename,
        path=entry, label=labels.get(concept),
    )
