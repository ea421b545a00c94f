"""Each ratio definition, computed by hand from published statement figures (millions)."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest

from finlora.errors import DataError
from finlora.xbrl.financials import RATIOS, financials


def exact(numerator: int, denominator: int, percent: bool = False) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 28
        return Decimal(numerator) / Decimal(denominator) * (100 if percent else 1)


# (filing, ratio, expected from the published 10-K / 10-Q figures)
CASES = [
    ("apple-10q-2025-03-29", "current ratio", exact(118_674, 144_571)),
    ("tesla-10q-2024-06-30", "quick ratio", exact(52_977 - 14_195, 27_729)),
    ("netflix-10k-2023-12-31", "cash ratio", exact(7_116_913, 8_860_655)),
    ("tesla-10q-2024-06-30", "equity multiplier", exact(112_832, 66_468)),
    ("netflix-10k-2023-12-31", "debt-to-equity ratio", exact(28_143_679, 20_588_313)),
    ("tesla-10q-2024-06-30", "gross margin", exact(4_578, 25_500, True)),
    ("microsoft-10k-2015-06-30", "operating margin", exact(18_161, 93_580, True)),  # FY, not Q4
    ("microsoft-10k-2015-06-30", "net profit margin", exact(12_193, 93_580, True)),
]


def test_every_ratio_is_covered() -> None:
    assert {name for _, name, _ in CASES} == set(RATIOS)


@pytest.mark.parametrize(("name", "ratio", "expected"), CASES, ids=[c[1] for c in CASES])
def test_ratio_definitions(lxml_filings, name, ratio, expected) -> None:
    result = financials(lxml_filings[name]).ratio(ratio)
    assert result.ok, result.notes
    assert abs(result.value - expected) <= abs(expected) * Decimal("1e-20")
    assert len(result.citations) == len(result.parts) >= 2


def test_quick_ratio_is_not_the_cash_ratio(lxml_filings) -> None:
    fin = financials(lxml_filings["tesla-10q-2024-06-30"])
    quick = fin.ratio("quick")
    assert quick.formula == ("(us-gaap:AssetsCurrent - us-gaap:InventoryNet) / "
                             "us-gaap:LiabilitiesCurrent")
    assert quick.calculation == "(52977000000 - 14195000000) / 27729000000"
    assert quick.value != fin.ratio("cash").value


def test_refusals_name_the_reason(lxml_filings) -> None:
    arena = financials(lxml_filings["globalarena-10q-2024-09-30"])
    multiplier = arena.ratio("equity multiplier")  # stockholders' deficit of $9.6M
    assert multiplier.value is None and "meaningless" in multiplier.notes[0]
    netflix = financials(lxml_filings["netflix-10k-2023-12-31"])
    quick = netflix.ratio("quick ratio")  # Netflix reports no inventory
    assert quick.value is None and "inventory not reported" in quick.notes[0]
    amazon = financials(lxml_filings["amazon-10k-2022-12-31"])
    assert amazon.ratio("gross margin").value is None  # no gross profit line
    with pytest.raises(DataError, match="unknown ratio"):
        netflix.ratio("price to dreams")


def test_ratios_of_a_comparative_period(lxml_filings) -> None:
    fin = financials(lxml_filings["microsoft-10k-2015-06-30"])
    prior = fin.ratio("net profit margin", "prior")  # FY2014: 22,074 / 86,833
    assert abs(prior.value - exact(22_074, 86_833, True)) < Decimal("1e-20")
    assert prior.period == "2013-07-01..2014-06-30"
