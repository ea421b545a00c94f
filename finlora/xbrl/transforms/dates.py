"""Date transforms of the Inline XBRL Transformation Registries 1–5.

Each transform is described by the order of its parts (D day, M month, Y year) and how the
month is written (digits, a name in one language, or a roman numeral); the result is an
xs:date (YYYY-MM-DD), gYearMonth (YYYY-MM) or gMonthDay (--MM-DD).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from finlora.xbrl.transforms.months import MONTHS, month_number
from finlora.xbrl.transforms.numbers import TransformError

_TOKEN = re.compile(r"[0-9]+|[^\W\d_]+\.?")


def _year(text: str) -> int:
    """Two-digit (and one-digit) years are 20YY, as in the registries' examples."""
    return int(text) + 2000 if len(text) <= 2 else int(text)


def date_transform(name: str, order: str, month: str) -> Callable[[str], str]:
    """A transform reading `order` (e.g. "DMY", "MD", "YM") with `month` "num", "roman" or a
    language code for month names."""

    def transform(text: str) -> str:
        tokens = _TOKEN.findall(text)
        numbers = [t for t in tokens if t.isdigit()]
        words = [t for t in tokens if not t.isdigit()]
        parts: dict[str, int] = {}
        if month == "num":
            if len(numbers) != len(order):
                raise TransformError(f"{text!r} is not in the format of {name}")
            for part, token in zip(order, numbers, strict=True):
                parts[part] = _year(token) if part == "Y" else int(token)
        else:
            found = [n for n in (month_number(w, month) for w in words) if n is not None]
            if not found and month == "roman":
                raise TransformError(f"{text!r} is not in the format of {name}")
            if len(found) != 1 or len(numbers) != len(order) - 1:
                raise TransformError(f"{text!r} is not in the format of {name}")
            parts["M"] = found[0]
            for part, token in zip(order.replace("M", ""), numbers, strict=True):
                parts[part] = _year(token) if part == "Y" else int(token)
        try:  # validity: a real calendar day (29 February only in a leap year)
            date(parts.get("Y", 2000), parts["M"], parts.get("D", 1))
        except ValueError as exc:
            raise TransformError(f"{text!r} is not a valid date for {name}") from exc
        if "D" not in parts:
            return f"{parts['Y']:04d}-{parts['M']:02d}"
        if "Y" not in parts:
            return f"--{parts['M']:02d}-{parts['D']:02d}"
        return f"{parts['Y']:04d}-{parts['M']:02d}-{parts['D']:02d}"

    return transform


_ORDER_WORDS = {"day": "D", "month": "M", "monthname": "M", "monthroman": "M", "year": "Y"}


def tr4_dates() -> dict[str, Callable[[str], str]]:
    """Every `date-*` transform of registries 4 and 5 finlora reads (languages in MONTHS)."""
    table: dict[str, Callable[[str], str]] = {}
    layouts = ["day-month", "day-month-year", "month-day", "month-day-year", "month-year",
               "year-month", "year-month-day", "day-monthroman", "day-monthroman-year",
               "monthroman-year"]
    for layout in layouts:
        month = "roman" if "roman" in layout else "num"
        table[f"date-{layout}"] = date_transform(f"date-{layout}", _order(layout), month)
    for layout, languages in _NAMED_LAYOUTS.items():
        for language in languages:
            name = f"date-{layout}-{language}"
            table[name] = date_transform(name, _order(layout), language)
    return table


# The month-name layouts registries 4 and 5 define, with the languages finlora reads: no
# others (a format the registry lacks is an unknown transform, as in Arelle). The registry's
# year-day-monthname (lv) and year-monthname-day (hu, lt) are in no language finlora reads.
_NAMED_LAYOUTS = {"day-monthname": tuple(MONTHS), "day-monthname-year": tuple(MONTHS),
                  "monthname-year": tuple(MONTHS), "monthname-day": ("en",),
                  "monthname-day-year": ("en",), "year-monthname": ("en",)}


def _order(layout: str) -> str:
    return "".join(_ORDER_WORDS[word] for word in layout.split("-"))


def tr1_dates() -> dict[str, Callable[[str], str]]:
    """Registry 1 (2008 and 2010-04-20) date transforms."""
    spec = {"datedoteu": ("DMY", "num"), "datedotus": ("MDY", "num"),
            "datelongdaymonthuk": ("DM", "en"), "datelongmonthdayus": ("MD", "en"),
            "datelongmonthyear": ("MY", "en"), "datelonguk": ("DMY", "en"),
            "datelongus": ("MDY", "en"), "datelongyearmonth": ("YM", "en"),
            "dateshortdaymonthuk": ("DM", "en"), "dateshortmonthdayus": ("MD", "en"),
            "dateshortmonthyear": ("MY", "en"), "dateshortuk": ("DMY", "en"),
            "dateshortus": ("MDY", "en"), "dateshortyearmonth": ("YM", "en"),
            "dateslashdaymontheu": ("DM", "num"), "dateslasheu": ("DMY", "num"),
            "dateslashmonthdayus": ("MD", "num"), "dateslashus": ("MDY", "num")}
    return {name: date_transform(name, order, month) for name, (order, month) in spec.items()}


def tr23_dates(registry: int) -> dict[str, Callable[[str], str]]:
    """Registry 2 (2011-07-31) or 3 (2015-02-26) date transforms (English and numeric; the
    Danish ones, `datemonthyear` and `dateyearmonthday` came with registry 3)."""
    spec = {"datedaymonth": ("DM", "num"), "datedaymonthen": ("DM", "en"),
            "datedaymonthyear": ("DMY", "num"), "datedaymonthyearen": ("DMY", "en"),
            "datemonthday": ("MD", "num"), "datemonthdayen": ("MD", "en"),
            "datemonthdayyear": ("MDY", "num"), "datemonthdayyearen": ("MDY", "en"),
            "datemonthyearen": ("MY", "en"), "dateyearmonthen": ("YM", "en")}
    if registry >= 3:
        spec.update({"datemonthyear": ("MY", "num"), "dateyearmonthday": ("YMD", "num"),
                     "datedaymonthdk": ("DM", "da"), "datedaymonthyeardk": ("DMY", "da"),
                     "datemonthyeardk": ("MY", "da")})
    return {name: date_transform(name, order, month) for name, (order, month) in spec.items()}
