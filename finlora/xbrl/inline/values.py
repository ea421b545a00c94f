"""The value of an inline fact, as Arelle computes it: text → format transform → scale, sign.

Numbers keep Arelle's rendering: `Decimal(text) × 10**scale`, negated for `sign="-"`, written
without exponent; integral values lose a fractional ".0…" unless the transformed text has one.
A whole number with a scale of 0-9 and no sign (most facts) takes zeros appended instead, which
gives the same text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation, getcontext
from pathlib import Path

from lxml import etree

from finlora.errors import FilingError
from finlora.xbrl.inline.document import InlineSet
from finlora.xbrl.inline.text import inner_text
from finlora.xbrl.transforms import TransformError, find_transform

_COLLAPSE = re.compile(r"[ \t\r\n]+")
_ONE, _MINUS_ONE = Decimal(1), Decimal(-1)


def where(path: Path, element: etree._Element) -> str:
    """`fact f-12 (us-gaap:Assets, line 345)` for error messages."""
    ident = element.get("id")
    name = element.get("name", "")
    label = f"fact {ident} ({name}" if ident else f"fact {name} ("
    return f"{label}, line {element.sourceline})".replace("(, ", "(")


_TRANSFORMS: dict[tuple[str, str], Callable[[str], str]] = {}


def _find(found: InlineSet, path: Path, element: etree._Element, fmt: str,
          ) -> Callable[[str], str]:
    """The transform `fmt` names at `element` (kept per document and format where a prefix
    means the same everywhere in it)."""
    key = (path, fmt)
    transform = found.formats.get(key)
    if transform is not None:
        return transform
    prefix, _, local = fmt.strip().rpartition(":")
    namespace = found.namespace(path, element, prefix or None)
    if namespace is None:
        raise FilingError(path, f"{where(path, element)}: format {fmt.strip()!r} uses an "
                          "undeclared prefix")
    transform = _TRANSFORMS.get((namespace, local))
    if transform is None:
        transform = find_transform(namespace, local)
        if transform is not None:  # only known ones are kept: a document names any it likes
            _TRANSFORMS[(namespace, local)] = transform
    if transform is None:
        raise FilingError(path, f"{where(path, element)}: unknown transform {fmt.strip()!r} "
                          f"({namespace}); engine='arelle' may know it")
    if path in found.flat_namespaces:
        found.formats[key] = transform
    return transform


def _transform(found: InlineSet, path: Path, element: etree._Element, fmt: str,
               text: str) -> str:
    transform = _find(found, path, element, fmt)
    if "\t" in text or "\n" in text or "\r" in text or "  " in text:
        text = _COLLAPSE.sub(" ", text)
    try:
        return transform(text.strip(" "))
    except (TransformError, ValueError, ArithmeticError) as exc:
        raise FilingError(path, f"{where(path, element)}: transform {fmt.strip()!r} cannot "
                          f"read {text.strip()[:60]!r}: {exc}") from exc


_SCALES: dict[str, Decimal] = {}
_ZEROS: dict[str | None, str] = {None: "", "": "", **{str(n): "0" * n for n in range(10)}}


def _scale(scale: str) -> Decimal:
    """10 ** scale (Decimal traps a scale that is not a number); the few a document writes
    are kept."""
    factor = _SCALES.get(scale)
    if factor is None:
        factor = 10 ** Decimal(scale)
        if len(_SCALES) < 100:
            _SCALES[scale] = factor
    return factor


def numeric_text(found: InlineSet, path: Path, element: etree._Element, attrs: dict[str, str],
                 is_nil: bool) -> str:
    """The value of an `ix:nonFraction` (`attrs`: its attributes)."""
    text = inner_text(element)
    fmt = attrs.get("format")
    value = _transform(found, path, element, fmt, text) if fmt else text
    if is_nil:
        return value
    if value.isdigit() and value.isascii() and value[0] != "0" and not attrs.get("sign"):
        # a whole number scaled by 0-9: zeros appended (a longer one Decimal rounds or refuses)
        zeros = _ZEROS.get(attrs.get("scale"))
        if zeros is not None and len(value) + len(zeros) <= getcontext().prec:
            return value + zeros
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError) as exc:
        raise FilingError(path, f"{where(path, element)}: {value.strip()[:60]!r} is not a "
                          "number (give a format)") from exc
    scale = (attrs.get("scale") or "").strip()
    try:  # Decimal traps: a scale that is not a number, or a result out of range
        if scale:
            number *= _scale(scale)
        number *= _MINUS_ONE if attrs.get("sign") else _ONE  # as Arelle: -0 for sign on 0
        if number.is_infinite():
            return "-INF" if number < 0 else "INF"
        if number.is_nan():
            return "NaN"
        if number == number.to_integral() and ".0" not in value:
            number = number.quantize(_ONE)
    except (ArithmeticError, ValueError) as exc:
        raise FilingError(path, f"{where(path, element)}: {value.strip()[:60]!r} with scale "
                          f"{scale or 0!r} is not a number finlora can hold") from exc
    return f"{number:f}"


def text_value(found: InlineSet, path: Path, element: etree._Element, attrs: dict[str, str],
               next_part: Callable[[etree._Element], etree._Element | None]) -> str:
    """The value of an `ix:nonNumeric` (continuations followed, markup kept if escaped)."""
    escape = attrs.get("escape") in ("true", "1")
    base = found.base.get(path, "") if escape else ""
    text = inner_text(element, escape=escape, next_part=next_part, base=base,
                      fast=None if base else found.serialisers.get(path))
    fmt = attrs.get("format")
    return _transform(found, path, element, fmt, text) if fmt else text
