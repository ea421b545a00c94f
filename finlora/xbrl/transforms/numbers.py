"""Number and fixed-value transforms of the Inline XBRL Transformation Registries 1–5."""

from __future__ import annotations

import re

_WS = " \t\n\r"
_FULLWIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
_APOSTROPHES = "'`´’′＇"


class TransformError(ValueError):
    """The displayed text does not fit the transform's format."""


def _fail(name: str, text: str) -> TransformError:
    return TransformError(f"{text!r} is not in the format of {name}")


def canonical(number: str) -> str:
    """TR4+ canonical form: no leading zeros, no trailing fractional zeros ("0100.50" → "100.5")."""
    whole, _, fraction = number.partition(".")
    whole = whole.lstrip("0") or "0"
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


_DELETE: dict[str, dict[int, None]] = {}


def _strip(text: str, characters: str) -> str:
    """`text` without any of `characters` (translate tables built once per set)."""
    table = _DELETE.get(characters)
    if table is None:
        table = _DELETE[characters] = {ord(c): None for c in characters}
    return text.translate(table)


# Registry 1 (2008, 2010-04-20): strict layouts, separators removed.
_TR1 = {
    "numcommadot": (r"[0-9]{1,3}(,[0-9]{3})*(\.[0-9]+)?", ",", "."),
    "numdotcomma": (r"[0-9]{1,3}(\.[0-9]{3})*(,[0-9]+)?", ".", ","),
    # a no-break space groups as a space does (as in Arelle): rendered HTML often has one
    "numspacedot": (r"[0-9]{1,3}([ \xa0][0-9]{3})*(\.[0-9]+)?", " \xa0", "."),
    "numspacecomma": (r"[0-9]{1,3}([ \xa0][0-9]{3})*(,[0-9]+)?", " \xa0", ","),
    "numcomma": (r"[0-9]+(,[0-9]+)?", "", ","),
}


def tr1_number(name: str):  # noqa: ANN201 - a transform
    pattern, thousands, decimal = _TR1[name]
    compiled = re.compile(pattern)

    def transform(text: str) -> str:
        value = text.strip(_WS)
        if not compiled.fullmatch(value):
            raise _fail(name, text)
        return _strip(value, thousands).replace(decimal, ".")

    return transform


def numdash(text: str) -> str:
    if text.strip(_WS) != "-":
        raise _fail("numdash", text)
    return "0"


# Registries 2 and 3: separators removed, value kept as written.
_DOT_DECIMAL = re.compile(r"[0-9]{1,3}([, \xa0]?[0-9]{3})*(\.[0-9]+)?")
_COMMA_DECIMAL = re.compile(r"[0-9]{1,3}([. \xa0]?[0-9]{3})*(,[0-9]+)?")
_DOT_DECIMAL_IN = re.compile(r"(([0-9]{1,2}[, \xa0])?([0-9]{2}[, \xa0])*[0-9]{3})([.][0-9]+)?|"
                             r"[0-9]+([.][0-9]+)?")


def numdotdecimal(text: str) -> str:
    if not _DOT_DECIMAL.fullmatch(text.strip(_WS)):
        raise _fail("numdotdecimal", text)
    return _strip(text, ", \xa0").strip(_WS)


def numcommadecimal(text: str) -> str:
    if not _COMMA_DECIMAL.fullmatch(text.strip(_WS)):
        raise _fail("numcommadecimal", text)
    return _strip(text, ". \xa0").strip(_WS).replace(",", ".")


def numdotdecimalin(text: str) -> str:
    """Indian grouping: "1,00,000.50" → "100000.50"."""
    if not _DOT_DECIMAL_IN.fullmatch(text.strip(_WS)):
        raise _fail("numdotdecimalin", text)
    return _strip(text, ", \xa0").strip(_WS)


def numdotdecimalin_tr4(text: str) -> str:
    """Registries 4 and 5: the same, in canonical form ("0,100.50" → "100.5")."""
    return canonical(numdotdecimalin(text))


_UNIT_DECIMAL = re.compile(r"(0|[1-9][0-9]{0,2}([.,\uff0c\uff0e]?[0-9]{3})*)"
                           r"[^0-9,.\uff0c\uff0e]+([0-9]{1,2})[^0-9,.\uff0c\uff0e]*")


def numunitdecimal(text: str) -> str:
    """Major and minor units in words: "5 dollars 25 cents" → "5.25"."""
    match = _UNIT_DECIMAL.fullmatch(text.translate(_FULLWIDTH))
    if not match:
        raise _fail("numunitdecimal", text)
    major = _strip(match.group(1), ".,\uff0c\uff0e")
    return f"{major}.{match.group(3).zfill(2)}"


# Registries 4 and 5: lenient grouping, canonical result.
_DIGITS = re.compile(r"[0-9]+(\.[0-9]+)?|\.[0-9]+")


def _tr4_number(name: str, decimal: str, thousands: str):  # noqa: ANN202 - a transform
    grouping = re.escape(thousands)
    compiled = re.compile(rf"[{grouping}0-9]*({re.escape(decimal)}[ \xa00-9]+)?")
    dropped = thousands.replace(decimal, "") + " \xa0"  # grouping, and spaces in the fraction
    separator = thousands[0]

    def transform(text: str) -> str:
        value = text.strip(_WS)
        whole = value.replace(separator, "")
        if whole.isdigit() and whole.isascii():  # the common case: "1,234", no fraction
            return whole.lstrip("0") or "0"
        if not compiled.fullmatch(value):
            raise _fail(name, text)
        digits = _strip(value, dropped).replace(decimal, ".")
        if not _DIGITS.fullmatch(digits):
            raise _fail(name, text)
        return canonical(digits)

    return transform


_UNIT_DECIMAL_TR4 = re.compile(r"([0-9.,\uff0c" + _APOSTROPHES + r"]+)"
                               r"([^0-9.,\uff0c" + _APOSTROPHES + r"][^0-9]*)([0-9]{1,2})[^0-9]*")


def num_unit_decimal(text: str) -> str:
    match = _UNIT_DECIMAL_TR4.fullmatch(text.translate(_FULLWIDTH))
    if not match:
        raise _fail("num-unit-decimal", text)
    major = _strip(match.group(1), ".,\uff0c\uff0e" + _APOSTROPHES)
    if not major:
        raise _fail("num-unit-decimal", text)
    return canonical(f"{major}.{match.group(3).zfill(2)}")


def fixed(value: str):  # noqa: ANN201 - a transform
    def transform(text: str) -> str:
        return value

    return transform


num_dot_decimal = _tr4_number("num-dot-decimal", ".", ", \xa0")
num_comma_decimal = _tr4_number("num-comma-decimal", ",", ". \xa0")
num_dot_decimal_apos = _tr4_number("num-dot-decimal-apos", ".", ", \xa0" + _APOSTROPHES)
num_comma_decimal_apos = _tr4_number("num-comma-decimal-apos", ",", ". \xa0" + _APOSTROPHES)
