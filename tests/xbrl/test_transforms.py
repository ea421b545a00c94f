"""The transforms table, value by value. Expected values are written by hand from the examples
of the Inline XBRL Transformation Registries 1–5 and the SEC's ixt-sec registry; the same inputs
are then checked against Arelle's own implementation of registries 1–5 (another engine)."""

from __future__ import annotations

import pytest

from finlora.xbrl.transforms import (
    IXT_1,
    IXT_2,
    IXT_3,
    IXT_4,
    IXT_5,
    IXT_SEC,
    TRANSFORMS,
    TransformError,
    apply_transform,
)

CASES = [
    # registry 1 (2010-04-20)
    (IXT_1, "numcommadot", "1,234,567.89", "1234567.89"),
    (IXT_1, "numdotcomma", "1.234.567,89", "1234567.89"),
    (IXT_1, "numspacedot", "1 234 567.89", "1234567.89"),
    (IXT_1, "numspacecomma", "1 234 567,89", "1234567.89"),
    (IXT_1, "numspacedot", "1\xa0234\xa0567.89", "1234567.89"),  # no-break spaces group too
    (IXT_1, "numspacecomma", "1\xa0234,5", "1234.5"),
    (IXT_1, "numcomma", "1234,5", "1234.5"),
    (IXT_1, "numdash", "-", "0"),
    (IXT_1, "datedoteu", "29.03.2025", "2025-03-29"),
    (IXT_1, "datedotus", "03.29.25", "2025-03-29"),
    (IXT_1, "datelonguk", "29 March 2025", "2025-03-29"),
    (IXT_1, "datelongus", "March 29, 2025", "2025-03-29"),
    (IXT_1, "dateshortus", "Mar 29, 2025", "2025-03-29"),
    (IXT_1, "dateshortuk", "29 Mar 2025", "2025-03-29"),
    (IXT_1, "dateslasheu", "29/03/2025", "2025-03-29"),
    (IXT_1, "dateslashus", "03/29/2025", "2025-03-29"),
    (IXT_1, "datelongmonthyear", "March 2025", "2025-03"),
    (IXT_1, "dateshortyearmonth", "2025 Mar", "2025-03"),
    (IXT_1, "datelongmonthdayus", "March 29", "--03-29"),
    (IXT_1, "dateslashdaymontheu", "29/03", "--03-29"),
    # registry 2 (2011-07-31) and 3 (2015-02-26)
    (IXT_2, "numdotdecimal", "1,234,567.89", "1234567.89"),
    (IXT_2, "numdotdecimal", "1 234", "1234"),
    (IXT_2, "numcommadecimal", "1.234.567,89", "1234567.89"),
    (IXT_2, "numunitdecimal", "5 dollars 25 cents", "5.25"),
    (IXT_2, "numunitdecimal", "1 euro 5", "1.05"),
    (IXT_2, "zerodash", "—", "0"),
    (IXT_2, "nocontent", "anything", ""),
    (IXT_2, "booleantrue", "yes", "true"),
    (IXT_2, "booleanfalse", "no", "false"),
    (IXT_2, "datemonthdayyearen", "September 30, 2024", "2024-09-30"),
    (IXT_2, "datedaymonthyearen", "30 Sept 2024", "2024-09-30"),
    (IXT_2, "datemonthdayyear", "9/30/2024", "2024-09-30"),
    (IXT_2, "datedaymonthyear", "30.9.24", "2024-09-30"),
    (IXT_2, "datemonthyearen", "Sep. 2024", "2024-09"),
    (IXT_2, "dateyearmonthen", "2024 September", "2024-09"),
    (IXT_2, "datemonthdayen", "Sept. 30", "--09-30"),
    (IXT_3, "dateyearmonthday", "2024-09-30", "2024-09-30"),
    (IXT_3, "datemonthyear", "9/2024", "2024-09"),
    (IXT_3, "numdotdecimalin", "1,00,00,000.50", "10000000.50"),
    (IXT_4, "numdotdecimalin", "1,00,00,000.50", "10000000.5"),  # registry 4: canonical
    (IXT_5, "numdotdecimalin", "0,100.50", "100.5"),
    # registry 4 (2020-02-12) and 5 (2022-02-16): canonical numbers
    (IXT_4, "num-dot-decimal", "1,234,567.80", "1234567.8"),
    (IXT_4, "num-dot-decimal", "0.50", "0.5"),
    (IXT_4, "num-dot-decimal", "100", "100"),
    (IXT_4, "num-comma-decimal", "1.234.567,80", "1234567.8"),
    (IXT_4, "num-comma-decimal", "1 234,5", "1234.5"),
    (IXT_4, "num-unit-decimal", "12 dollars and 5 cents", "12.05"),
    (IXT_4, "fixed-zero", "-", "0"),
    (IXT_4, "fixed-empty", "n/a", ""),
    (IXT_4, "fixed-true", "☒", "true"),
    (IXT_4, "fixed-false", "☐", "false"),
    (IXT_4, "date-monthname-day-year-en", "March 29, 2025", "2025-03-29"),
    (IXT_4, "date-monthname-day-year-en", "MAR. 29 2025", "2025-03-29"),
    (IXT_4, "date-day-monthname-year-en", "29th March 2025", "2025-03-29"),
    (IXT_4, "date-month-day-year", "03/29/2025", "2025-03-29"),
    (IXT_4, "date-day-month-year", "29.03.2025", "2025-03-29"),
    (IXT_4, "date-year-month-day", "2025-03-29", "2025-03-29"),
    (IXT_4, "date-monthname-year-en", "March 2025", "2025-03"),
    (IXT_4, "date-year-monthname-en", "2025 March", "2025-03"),
    (IXT_4, "date-monthname-day-en", "March 29", "--03-29"),
    (IXT_4, "date-day-monthname-en", "29 March", "--03-29"),
    (IXT_4, "date-month-day", "3/29", "--03-29"),
    (IXT_4, "date-day-month", "29.3", "--03-29"),
    (IXT_4, "date-month-year", "03/2025", "2025-03"),
    (IXT_4, "date-year-month", "2025/03", "2025-03"),
    (IXT_4, "date-day-monthroman-year", "29 III 2025", "2025-03-29"),
    (IXT_4, "date-day-monthname-year-de", "29. März 2025", "2025-03-29"),
    (IXT_4, "date-day-monthname-year-fr", "29 mars 2025", "2025-03-29"),
    (IXT_4, "date-day-monthname-year-es", "29 de marzo de 2025", "2025-03-29"),
    (IXT_5, "num-dot-decimal-apos", "1'234'567.50", "1234567.5"),
    (IXT_5, "num-comma-decimal-apos", "1'234,50", "1234.5"),
    # SEC ixt-sec (2015-08-31)
    (IXT_SEC, "numwordsen", "two", "2"),
    (IXT_SEC, "numwordsen", "one hundred twenty-five", "125"),
    (IXT_SEC, "numwordsen", "no", "0"),
    (IXT_SEC, "duryear", "2.7", "P2Y8M12D"),
    (IXT_SEC, "durmonth", "12", "P12M"),
    (IXT_SEC, "durday", "30", "P30D"),
    (IXT_SEC, "durwordsen", "two years, three months", "P2Y3M"),
    (IXT_SEC, "stateprovnameen", "California", "CA"),
    (IXT_SEC, "exchnameen", "The Nasdaq Stock Market LLC", "NASDAQ"),
    (IXT_SEC, "entityfilercategoryen", "Large Accelerated Filer", "Large Accelerated Filer"),
    (IXT_SEC, "boolballotbox", "☒", "true"),
    (IXT_SEC, "boolballotbox", "☐", "false"),
    (IXT_SEC, "yesnoballotbox", "☒", "Yes"),
    (IXT_SEC, "boolballotbox", "☑", "true"),
    (IXT_SEC, "numwordsen", "four", "4"),
    (IXT_SEC, "durwordsen", "two years", "P2Y"),
    (IXT_SEC, "durweek", "3", "P21D"),
    (IXT_SEC, "durhour", "2.5", "PT2H30M"),
    (IXT_SEC, "datequarterend", "First quarter 2024", "2024-03-31"),
    (IXT_SEC, "datequarterend", "Q3 2024", "2024-09-30"),
    (IXT_SEC, "countrynameen", "United States", "US"),
    (IXT_SEC, "edgarprovcountryen", "Alberta", "A0"),
    (IXT_SEC, "edgarprovcountryen", "Delaware", "DE"),
    (IXT_SEC, "edgarprovcountryen", "Cayman Islands", "E9"),
    (IXT_SEC, "exchnameen", "Nasdaq", "NASDAQ"),
    (IXT_SEC, "entityfilercategoryen", "Accelerated Filer", "Accelerated Filer"),
    (IXT_SEC, "numinf", "unlimited", "INF"),
    (IXT_SEC, "numneginf", "unlimited", "-INF"),
]
BAD = [
    (IXT_4, "num-dot-decimal", "12 million"),
    (IXT_4, "date-monthname-day-year-en", "Febtember 30, 2025"),
    (IXT_4, "date-month-day-year", "02/30/2025"),  # no 30 February
    (IXT_1, "numcommadot", "1,23,4"),
    (IXT_SEC, "numwordsen", "lots"),
    (IXT_SEC, "stateprovnameen", "Atlantis"),
]


@pytest.mark.parametrize("namespace, name, text, expected", CASES)
def test_transform_value(namespace, name, text, expected) -> None:
    assert apply_transform(namespace, name, text) == expected


@pytest.mark.parametrize("namespace, name, text", BAD)
def test_transform_rejects(namespace, name, text) -> None:
    with pytest.raises(TransformError):
        apply_transform(namespace, name, text)


def test_unknown_transform_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        apply_transform(IXT_4, "num-dotty-decimal", "1")


@pytest.mark.parametrize("namespace, name, text, expected",
                         [c for c in CASES if c[0] != IXT_SEC])
def test_arelle_agrees(namespace, name, text, expected) -> None:
    from arelle import FunctionIxt

    assert FunctionIxt.ixtNamespaceFunctions[namespace][name](text) == expected


def test_one_table_serves_arelle_too() -> None:
    from finlora.xbrl import sec_transforms

    registered: dict = {}
    sec_transforms.register(registered)
    assert {q.localName.removeprefix("ixt-sec:") for q in registered} == set(TRANSFORMS[IXT_SEC])
    assert all(registered[q] is TRANSFORMS[IXT_SEC][q.localName.removeprefix("ixt-sec:")]
               for q in registered)


def test_only_names_the_registries_define() -> None:
    """Every registry 1–5 name finlora reads is one Arelle's tables (the registries) define: a
    format a registry lacks (`date-year-monthname-day-en`, registry 2's `datemonthyear`) is an
    unknown transform, as in Arelle."""
    from arelle import FunctionIxt

    for namespace in (IXT_1, IXT_2, IXT_3, IXT_4, IXT_5):
        assert set(TRANSFORMS[namespace]) <= set(FunctionIxt.ixtNamespaceFunctions[namespace])
    for namespace, name in ((IXT_4, "date-year-monthname-day-en"), (IXT_2, "datemonthyear")):
        with pytest.raises(KeyError):
            apply_transform(namespace, name, "2025 March 29")
