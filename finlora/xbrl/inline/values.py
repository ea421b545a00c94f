"""The value of an inline fact, as Arelle computes it: text → format transform → scale, sign.

Numbers keep Arelle's rendering: `Decimal(text) × 10**scale`, negated for `sign="-"`, written
without exponent; integral values lose a fractional ".0…" unless the transformed text has one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path

from lxml import etree

from finlora.errors import FilingError
from finlora.xbrl.inline.text import inner_text
from finlora.xbrl.transforms import TransformError, find_transform

_COLLAPSE = re.compile(r"[ \t\r\n]+")
_ONE = Decimal(1)


def where(path: Path, element: etree._Element) -> str:
    """`fact f-12 (us-gaap:Assets, line 345)` for error messages."""
    ident = element.get("id")
    name = element.get("name", "")
    label = f"fact {ident} ({name}" if ident else f"fact {name} ("
    return f"{label}, line {element.sourceline})".replace("(, ", "(")


def _transform(path: Path, element: etree._Element, text: str) -> str:
    fmt = (element.get("format") or "").strip()
    prefix, _, local = fmt.rpartition(":")
    namespace = element.nsmap.get(prefix or None)
    if namespace is None:
        raise FilingError(path, f"{where(path, element)}: format {fmt!r} uses an undeclared "
                          "prefix")
    transform = find_transform(namespace, local)
    if transform is None:
        raise FilingError(path, f"{where(path, element)}: unknown transform {fmt!r} "
                          f"({namespace}); engine='arelle' may know it")
    try:
        return transform(_COLLAPSE.sub(" ", text).strip(" "))
    except (TransformError, ValueError, ArithmeticError) as exc:
        raise FilingError(path, f"{where(path, element)}: transform {fmt!r} cannot read "
                          f"{text.strip()[:60]!r}: {exc}") from exc


def numeric_text(path: Path, element: etree._Element, is_nil: bool) -> str:
    """The value of an `ix:nonFraction`."""
    text = inner_text(element)
    value = _transform(path, element, text) if element.get("format") else text
    if is_nil:
        return value
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError) as exc:
        raise FilingError(path, f"{where(path, element)}: {value.strip()[:60]!r} is not a "
                          "number (give a format)") from exc
    scale = (element.get("scale") or "").strip()
    try:
        if scale:
            number *= 10 ** Decimal(scale)
    except (InvalidOperation, ValueError) as exc:
        raise FilingError(path, f"{where(path, element)}: bad scale {scale!r}") from exc
    if element.get("sign"):
        number = -number
    if number.is_infinite():
        return "-INF" if number < 0 else "INF"
    if number.is_nan():
        return "NaN"
    if number == number.to_integral() and ".0" not in value:
        number = number.quantize(_ONE)
    return f"{number:f}"


def text_value(path: Path, element: etree._Element,
               next_part: Callable[[etree._Element], etree._Element | None]) -> str:
    """The value of an `ix:nonNumeric` (continuations followed, markup kept if escaped)."""
    escape = element.get("escape") in ("true", "1")
    text = inner_text(element, escape=escape, next_part=next_part)
    return _transform(path, element, text) if element.get("format") else text
