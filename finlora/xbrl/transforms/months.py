"""Month names by language, for the date transforms (lower case; abbreviations match by prefix)."""

from __future__ import annotations

import unicodedata

MONTHS: dict[str, list[str]] = {
    "en": ["january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december"],
    "de": ["januar", "februar", "märz", "april", "mai", "juni", "juli", "august", "september",
           "oktober", "november", "dezember"],
    "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
           "octobre", "novembre", "décembre"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"],
    "it": ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
           "settembre", "ottobre", "novembre", "dicembre"],
    "nl": ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
           "september", "oktober", "november", "december"],
    "pt": ["janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto",
           "setembro", "outubro", "novembro", "dezembro"],
    "da": ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
           "oktober", "november", "december"],
    "no": ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august", "september",
           "oktober", "november", "desember"],
    "sv": ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
           "oktober", "november", "december"],
    "fi": ["tammikuu", "helmikuu", "maaliskuu", "huhtikuu", "toukokuu", "kesäkuu", "heinäkuu",
           "elokuu", "syyskuu", "lokakuu", "marraskuu", "joulukuu"],
}
# Abbreviations that are not a prefix of the full name.
EXTRA = {"en": {"sept": 9}, "de": {"mrz": 3, "maerz": 3}, "fr": {"fevr": 2, "fev": 2,
                                                                 "aout": 8, "dec": 12}}
ROMAN = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"]


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def month_number(word: str, language: str) -> int | None:
    """1–12 for a month name or abbreviation (three letters at least) in `language`."""
    token = word.lower().strip(".")
    if language == "roman":
        return ROMAN.index(token) + 1 if token in ROMAN else None
    extra = EXTRA.get(language, {})
    if token in extra or _plain(token) in extra:
        return extra.get(token) or extra[_plain(token)]
    if len(token) < 3:
        return None
    for number, name in enumerate(MONTHS[language], start=1):
        if name.startswith(token) or _plain(name).startswith(_plain(token)):
            return number
    return None
