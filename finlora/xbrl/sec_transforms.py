"""SEC inline XBRL transforms (`ixt-sec:*`), which arelle-release does not ship.

Each function takes the displayed text and returns the XBRL value, following the SEC's
"Inline XBRL Transformation Registry" (namespace below). They are the `ixt-sec` part of the one
transforms table, `finlora.xbrl.transforms`, which the lxml inline engine reads and `register`
hands to Arelle's model manager as custom transforms.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from finlora.xbrl.sec_places import COUNTRIES, EDGAR_CODES

SEC_TRANSFORMS_NS = "http://www.sec.gov/inlineXBRL/transformation/2015-08-31"

_UNITS = {"zero": 0, "no": 0, "none": 0, "a": 1, "an": 1, "one": 1, "two": 2, "three": 3,
          "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
          "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
          "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000,
           "trillion": 1_000_000_000_000}

_STATES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "district of columbia": "DC",
    "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID", "illinois": "IL",
    "indiana": "IN", "iowa": "IA", "kansas": "KS", "kentucky": "KY", "louisiana": "LA",
    "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI", "minnesota": "MN",
    "mississippi": "MS", "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV",
    "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york": "NY",
    "north carolina": "NC", "north dakota": "ND", "ohio": "OH", "oklahoma": "OK", "oregon": "OR",
    "pennsylvania": "PA", "rhode island": "RI", "south carolina": "SC", "south dakota": "SD",
    "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT", "virginia": "VA",
    "washington": "WA", "west virginia": "WV", "wisconsin": "WI", "wyoming": "WY",
    "puerto rico": "PR", "guam": "GU", "virgin islands": "VI", "american samoa": "AS",
    "british columbia": "BC", "ontario": "ON", "quebec": "QC", "alberta": "AB",
}
_CANADIAN = ("british columbia", "ontario", "quebec", "alberta")
_EXCHANGES = {
    "nasdaq": "NASDAQ", "the nasdaq stock market llc": "NASDAQ", "nasdaq stock market": "NASDAQ",
    "the nasdaq global select market": "NASDAQ", "the nasdaq global market": "NASDAQ",
    "new york stock exchange": "NYSE", "the new york stock exchange": "NYSE", "nyse": "NYSE",
    "nyse american": "NYSEAMER", "nyse arca": "NYSEArca", "nyse mkt": "NYSEAMER",
    "cboe bzx": "CboeBZX", "cboe bzx exchange, inc.": "CboeBZX", "boston stock exchange": "BOX",
    "chicago stock exchange": "CHX", "investors exchange": "IEX", "none": "NONE",
}
_FILER_CATEGORIES = {
    "large accelerated filer": "Large Accelerated Filer", "accelerated filer": "Accelerated Filer",
    "non-accelerated filer": "Non-accelerated Filer",
}


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s\-,]+", text.lower().strip()) if w and w != "and"]


def numwordsen(text: str) -> str:
    """English number words → integer text: "two" → "2", "one hundred five" → "105"."""
    stripped = text.strip().lower()
    if re.fullmatch(r"[\d,]+(\.\d+)?", stripped):
        return stripped.replace(",", "")
    total, current = 0, 0
    for word in _words(stripped):
        if word in _UNITS:
            current += _UNITS[word]
        elif word in _TENS:
            current += _TENS[word]
        elif word == "hundred":
            current = max(current, 1) * 100
        elif word in _SCALES:
            total += max(current, 1) * _SCALES[word]
            current = 0
        else:
            raise ValueError(f"not an English number: {text!r}")
    return str(total + current)


def _number(text: str) -> Decimal:
    cleaned = text.strip().replace(",", "")
    try:
        return Decimal(cleaned)
    except ArithmeticError as exc:
        raise ValueError(f"not a number: {text!r}") from exc


def _fraction_duration(value: Decimal, unit: str) -> str:
    """A (possibly fractional) count of years / months / days → an xs:duration."""
    negative = value < 0
    value = abs(value)
    if unit == "Y":
        years = int(value)
        months_dec = (value - years) * 12
        months = int(months_dec)
        days = int(((months_dec - months) * Decimal("30.4375")).to_integral_value())
        parts = f"{years}Y" if years else ""
        parts += f"{months}M" if months else ""
        parts += f"{days}D" if days else ""
    elif unit == "M":
        months = int(value)
        days = int(((value - months) * Decimal("30.4375")).to_integral_value())
        parts = (f"{months}M" if months else "") + (f"{days}D" if days else "")
    else:
        parts = f"{int(value)}D"
    return ("-" if negative else "") + "P" + (parts or f"0{unit}")


def durweek(text: str) -> str:
    return _fraction_duration(_number(text) * 7, "D")


def durhour(text: str) -> str:
    """Hours → PTnH (a fraction becomes minutes and seconds): "2.5" → "PT2H30M"."""
    value = _number(text)
    sign, value = ("-", -value) if value < 0 else ("", value)
    hours = int(value)
    minutes_dec = (value - hours) * 60
    minutes = int(minutes_dec)
    seconds = (minutes_dec - minutes) * 60
    parts = f"{hours}H" if hours else ""
    parts += f"{minutes}M" if minutes else ""
    parts += f"{seconds.normalize():f}S" if seconds else ""
    return f"{sign}PT{parts or '0H'}"


_QUARTER_WORDS = {"first": 1, "1st": 1, "q1": 1, "one": 1, "second": 2, "2nd": 2, "q2": 2,
                  "two": 2, "third": 3, "3rd": 3, "q3": 3, "three": 3, "fourth": 4, "4th": 4,
                  "q4": 4, "four": 4}
_QUARTER_ENDS = {1: "03-31", 2: "06-30", 3: "09-30", 4: "12-31"}


def datequarterend(text: str) -> str:
    """A calendar quarter → its last day: "First quarter 2024" / "Q3 2024" → "2024-09-30"."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    quarters = [_QUARTER_WORDS[w] for w in words if w in _QUARTER_WORDS]
    years = [w for w in words if re.fullmatch(r"\d{4}|\d{2}", w)]
    if len(quarters) != 1 or len(years) != 1:
        raise ValueError(f"not a quarter and year: {text!r}")
    year = years[0] if len(years[0]) == 4 else f"20{years[0]}"
    return f"{year}-{_QUARTER_ENDS[quarters[0]]}"


def duryear(text: str) -> str:
    return _fraction_duration(_number(text), "Y")


def durmonth(text: str) -> str:
    return _fraction_duration(_number(text), "M")


def durday(text: str) -> str:
    return _fraction_duration(_number(text), "D")


def durwordsen(text: str) -> str:
    """"two years, three months" → "P2Y3M"."""
    result = {"Y": 0, "M": 0, "D": 0}
    for amount, unit in re.findall(r"([\w\-]+(?:\s+[\w\-]+)*?)\s+(year|month|day)s?",
                                   text.lower()):
        result[unit[0].upper()] += int(numwordsen(amount))
    parts = "".join(f"{v}{k}" for k, v in result.items() if v)
    return "P" + (parts or "0D")


def _lookup(table: dict[str, str], kind: str) -> Callable[[str], str]:
    def transform(text: str) -> str:
        key = re.sub(r"\s+", " ", text.strip().lower())
        if key in table:
            return table[key]
        raise ValueError(f"unknown {kind}: {text!r}")

    return transform


def boolballotbox(text: str) -> str:
    mark = text.strip()
    if mark in ("☒", "☑", "x", "X"):
        return "true"
    if mark == "☐":
        return "false"
    raise ValueError(f"not a ballot box: {text!r}")


def yesnoballotbox(text: str) -> str:
    return "Yes" if boolballotbox(text) == "true" else "No"


def numinf(text: str) -> str:
    if text.strip().lower() in ("unlimited", "unbounded", "infinite", "infinity"):
        return "INF"
    raise ValueError(f"not an infinity word: {text!r}")


def numneginf(text: str) -> str:
    if text.strip().lower() in ("unlimited", "unbounded", "infinite", "infinity"):
        return "-INF"
    raise ValueError(f"not an infinity word: {text!r}")


def numnan(text: str) -> str:
    return "NaN"


def numnegativesign(text: str) -> str:
    """Used for numbers displayed with a minus sign; the sign is carried by ix:sign."""
    return str(_number(text.strip().lstrip("-−–")))


TRANSFORMS: dict[str, Callable[[str], str]] = {
    "numwordsen": numwordsen,
    "duryear": duryear,
    "durmonth": durmonth,
    "durday": durday,
    "durwordsen": durwordsen,
    "stateprovnameen": _lookup(_STATES, "state or province"),
    "exchnameen": _lookup(_EXCHANGES, "exchange name"),
    "entityfilercategoryen": _lookup(_FILER_CATEGORIES, "filer category"),
    "boolballotbox": boolballotbox,
    "yesnoballotbox": yesnoballotbox,
    "numinf": numinf,
    "numneginf": numneginf,
    "numnan": numnan,
    "numnegativesign": numnegativesign,
    "durweek": durweek,
    "durhour": durhour,
    "datequarterend": datequarterend,
    "countrynameen": _lookup(COUNTRIES, "country name"),
    "edgarprovcountryen": _lookup({**{k: v for k, v in _STATES.items() if len(v) == 2 and k not in
                                      _CANADIAN}, **EDGAR_CODES}, "EDGAR state or country"),
}


def register(custom_transforms: dict) -> None:
    """Add the SEC transforms (the `ixt-sec` part of finlora's one transforms table,
    `finlora.xbrl.transforms`) to an Arelle model manager's `customTransforms` mapping."""
    from arelle.ModelValue import qname

    for name, function in TRANSFORMS.items():
        custom_transforms[qname(SEC_TRANSFORMS_NS, f"ixt-sec:{name}")] = function
