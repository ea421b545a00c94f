"""Run `load_filing` on one file under an audit hook; print what happened as JSON.

Used by test_hostile.py in a fresh process: records every network connection attempt and
every file opened outside the filing's folder, Python's own installation and the cache.
"""

from __future__ import annotations

import json
import os
import sys
import time

from finlora.cache import cache_dir
from finlora.errors import FilingError
from finlora.xbrl import load_filing

path, engine = sys.argv[1], sys.argv[2]
allowed = [os.path.dirname(os.path.abspath(path)), sys.prefix, sys.base_prefix,
           str(cache_dir()), "/dev/", "/proc/", "/sys/", os.path.expanduser("~/.config/arelle"),
           "/etc/ssl/", "/etc/mime.types", "/usr/lib/", "/usr/share/zoneinfo", "/root/.pyenv/", os.getcwd() + "/finlora"]
network: list[str] = []
outside: list[str] = []


def hook(event: str, args: tuple) -> None:
    if event == "socket.connect":
        network.append(repr(args[1]))
    elif event == "open" and isinstance(args[0], str):
        target = os.path.abspath(args[0])
        if not any(target.startswith(prefix) for prefix in allowed):
            outside.append(target)


sys.addaudithook(hook)
start = time.perf_counter()
try:
    filing = load_filing(path, engine=engine)
    result = {"ok": True, "facts": len(filing.facts)}
except FilingError as exc:
    result = {"ok": False, "error": str(exc)}
result.update(seconds=time.perf_counter() - start, network=network, outside=outside)
print(json.dumps(result))
