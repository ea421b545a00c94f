"""The one table of inline XBRL transforms: registries 1–5 and the SEC's `ixt-sec`.

    from finlora.xbrl.transforms import apply_transform
    apply_transform(IXT_4, "num-dot-decimal", "1,234.50")   # "1234.5"

Used by the lxml inline engine for every format, and by the Arelle engine for the SEC
transforms (Arelle ships registries 1–5 itself; `finlora.xbrl.sec_transforms.register`).
"""

from __future__ import annotations

from collections.abc import Callable

from finlora.xbrl import sec_transforms as sec
from finlora.xbrl.transforms import dates, numbers
from finlora.xbrl.transforms.numbers import TransformError

IXT_1 = "http://www.xbrl.org/inlineXBRL/transformation/2010-04-20"
IXT_1_2008 = "http://www.xbrl.org/2008/inlineXBRL/transformation"
IXT_2 = "http://www.xbrl.org/inlineXBRL/transformation/2011-07-31"
IXT_3 = "http://www.xbrl.org/inlineXBRL/transformation/2015-02-26"
IXT_4 = "http://www.xbrl.org/inlineXBRL/transformation/2020-02-12"
IXT_5 = "http://www.xbrl.org/inlineXBRL/transformation/2022-02-16"
IXT_SEC = sec.SEC_TRANSFORMS_NS

Transform = Callable[[str], str]


def _registry_1() -> dict[str, Transform]:
    table: dict[str, Transform] = {name: numbers.tr1_number(name) for name in numbers._TR1}
    table["numdash"] = numbers.numdash
    table.update(dates.tr1_dates())
    return table


def _registry_2() -> dict[str, Transform]:
    table: dict[str, Transform] = {
        "numdotdecimal": numbers.numdotdecimal, "numcommadecimal": numbers.numcommadecimal,
        "numunitdecimal": numbers.numunitdecimal, "zerodash": numbers.fixed("0"),
        "nocontent": numbers.fixed(""), "booleanfalse": numbers.fixed("false"),
        "booleantrue": numbers.fixed("true"),
    }
    table.update(dates.tr23_dates(2))
    return table


def _registry_3() -> dict[str, Transform]:
    return {**_registry_2(), **dates.tr23_dates(3), "numdotdecimalin": numbers.numdotdecimalin}


def _registry_4() -> dict[str, Transform]:
    table: dict[str, Transform] = {
        "num-dot-decimal": numbers.num_dot_decimal,
        "num-comma-decimal": numbers.num_comma_decimal,
        "num-unit-decimal": numbers.num_unit_decimal,
        "numdotdecimalin": numbers.numdotdecimalin_tr4,
        "fixed-zero": numbers.fixed("0"), "fixed-empty": numbers.fixed(""),
        "fixed-true": numbers.fixed("true"), "fixed-false": numbers.fixed("false"),
    }
    table.update(dates.tr4_dates())
    return table


def _registry_5() -> dict[str, Transform]:
    return {**_registry_4(), "num-dot-decimal-apos": numbers.num_dot_decimal_apos,
            "num-comma-decimal-apos": numbers.num_comma_decimal_apos,
            "num-unit-decimal-apos": numbers.num_unit_decimal}


TRANSFORMS: dict[str, dict[str, Transform]] = {
    IXT_1: _registry_1(), IXT_1_2008: _registry_1(), IXT_2: _registry_2(),
    IXT_3: _registry_3(), IXT_4: _registry_4(), IXT_5: _registry_5(),
    IXT_SEC: dict(sec.TRANSFORMS),
}


def find_transform(namespace: str, name: str) -> Transform | None:
    """The transform `name` of the registry `namespace`, or None if finlora does not know it."""
    return TRANSFORMS.get(namespace, {}).get(name)


def apply_transform(namespace: str, name: str, text: str) -> str:
    """Apply a transform; `KeyError` if unknown, `TransformError` if the text does not fit."""
    transform = find_transform(namespace, name)
    if transform is None:
        raise KeyError(f"{{{namespace}}}{name}")
    try:
        return transform(text)
    except TransformError:
        raise
    except (ValueError, ArithmeticError) as exc:
        raise TransformError(str(exc)) from exc


__all__ = ["IXT_1", "IXT_2", "IXT_3", "IXT_4", "IXT_5", "IXT_SEC", "TRANSFORMS",
           "TransformError", "apply_transform", "find_transform"]
