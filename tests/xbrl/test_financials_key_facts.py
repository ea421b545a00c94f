"""Key facts, free lines and comparatives of every bundled filing against the companies'
published statements (numbers typed in from the 10-K / 10-Q as published, in millions unless
said; never produced by the code under test)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from finlora.xbrl.financials import financials

M = Decimal(1_000_000)
K = Decimal(1_000)

# Microsoft 10-K FY2015 (year ended 2015-06-30): income statements, balance sheets, cash flows
MICROSOFT = {"revenue": 93_580, "gross_profit": 60_542, "operating_income": 18_161,
             "net_income": 12_193, "total_assets": 176_223, "total_liabilities": 96_140,
             "equity": 80_083, "current_assets": 124_712, "current_liabilities": 49_858,
             "cash": 5_595, "accounts_payable": 6_591, "inventory": 2_902, "rnd": 12_046,
             "income_tax": 6_314, "operating_cash_flow": 29_080, "capex": 5_944,
             "cost_of_revenue": 33_038}
# Tesla 10-Q Q2 2024 (quarter ended 2024-06-30): statements of operations (three months),
# balance sheet at June 30, 2024, cash flows (six months)
TESLA = {"revenue": 25_500, "cost_of_revenue": 20_922, "gross_profit": 4_578, "rnd": 1_074,
         "sga": 1_277, "operating_expenses": 2_973, "operating_income": 1_605,
         "interest_expense": 86, "income_tax": 393, "net_income": 1_478,
         "net_income_including_nci": 1_494, "total_assets": 112_832,
         "total_liabilities": 45_569, "current_assets": 52_977, "current_liabilities": 27_729,
         "cash": 14_635, "accounts_payable": 13_056, "inventory": 14_195, "equity": 66_468,
         "operating_cash_flow": 3_854}
# Apple 10-Q Q2 FY2025 (quarter ended 2025-03-29); cash flows: six months
APPLE = {"revenue": 95_359, "cost_of_revenue": 50_492, "gross_profit": 44_867, "rnd": 8_550,
         "sga": 6_728, "operating_income": 29_589, "income_tax": 4_530, "net_income": 24_780,
         "total_assets": 331_233, "total_liabilities": 264_437, "equity": 66_796,
         "current_assets": 118_674, "current_liabilities": 144_571, "cash": 28_162,
         "accounts_payable": 54_126, "inventory": 6_269, "operating_cash_flow": 53_887,
         "capex": 6_011}
# Netflix 10-K FY2023, in thousands as Netflix reports
NETFLIX = {"revenue": 33_723_297, "cost_of_revenue": 19_715_368, "operating_income": 6_954_003,
           "net_income": 5_407_990, "total_assets": 48_731_992, "total_liabilities": 28_143_679,
           "equity": 20_588_313, "cash": 7_116_913, "current_assets": 9_918_133,
           "current_liabilities": 8_860_655, "accounts_payable": 747_412, "rnd": 2_675_758,
           "income_tax": 797_415, "operating_cash_flow": 7_274_301,
           "interest_expense": 699_826, "capex": 348_552}
# Amazon 10-K FY2022
AMAZON = {"revenue": 513_983, "cost_of_revenue": 288_831, "operating_income": 12_248,
          "net_income": -2_722, "total_assets": 462_675, "current_assets": 146_791,
          "current_liabilities": 155_393, "cash": 53_888, "accounts_payable": 79_600,
          "inventory": 34_405, "equity": 146_043, "operating_cash_flow": 46_752,
          "capex": 63_645, "interest_expense": 2_367, "income_tax": -3_217}
# Global Arena Holding 10-Q Q3 2024, in dollars: read off the 10-Q's face statements (balance
# sheet, statement of operations, cash flows) as the filing presents them; no independent
# published source; cross-checked by its own identities (Assets = Liabilities and deficit).
GLOBAL_ARENA = {"total_assets": 744_276, "current_liabilities": 10_400_091,
                "revenue": 350_041, "net_income": -422_167, "cash": 8_138,
                "operating_cash_flow": -182_242}

CASES = [("microsoft-10k-2015-06-30", MICROSOFT, M, "FY"), ("tesla-10q-2024-06-30", TESLA, M,
         "quarter"), ("apple-10q-2025-03-29", APPLE, M, "quarter"),
         ("netflix-10k-2023-12-31", NETFLIX, K, "FY"), ("amazon-10k-2022-12-31", AMAZON, M, "FY"),
         ("globalarena-10q-2024-09-30", GLOBAL_ARENA, Decimal(1), "quarter")]


@pytest.mark.parametrize(("name", "expected", "scale", "kind"), CASES,
                         ids=[c[0] for c in CASES])
def test_published_figures(lxml_filings, name, expected, scale, kind) -> None:
    fin = financials(lxml_filings[name])
    for key, value in expected.items():
        line = fin.get(key)
        assert line is not None, (name, key, fin.missing.get(key))
        assert line.value == value * scale, (name, key, line.value)
        if line.period.is_instant:
            assert line.period_kind == "instant"
        elif key.endswith(("cash_flow", "capex")) and kind == "quarter":
            assert line.period_kind == "YTD" and any("year to date" in n for n in line.notes)
        else:
            assert line.period_kind == kind, (name, key)
        (citation,) = line.citations
        fact = next(f for f in lxml_filings[name].facts if f.id == citation.fact_id)
        assert fact.numeric == line.value and not fact.dimensions
        assert citation.context_id == fact.context_id and citation.decimals == fact.decimals


def test_ten_k_with_quarterly_data_uses_the_fiscal_year(lxml_filings) -> None:
    fin = financials(lxml_filings["microsoft-10k-2015-06-30"])
    assert fin.periods.current.label == "2014-07-01..2015-06-30"
    revenue = fin.get("revenue")
    assert revenue.value == 93_580 * M and revenue.value != 22_180 * M  # not Q4
    assert fin.get("net_income").value == 12_193 * M  # Q4 was -3,195
    assert fin.get("eps_diluted").value == Decimal("1.48")
    assert fin.get("revenue", "prior").value == 86_833 * M   # FY2014
    assert fin.get("revenue", "FY2013").value == 77_849 * M
    assert fin.get("net_income", "FY2014").value == 22_074 * M


def test_comparatives_and_year_to_date(lxml_filings) -> None:
    tesla = financials(lxml_filings["tesla-10q-2024-06-30"])
    assert tesla.get("revenue", "prior").value == 24_927 * M              # Q2 2023
    assert tesla.get("revenue", ytd=True).value == 46_801 * M             # six months 2024
    assert tesla.get("revenue", ytd=True).period_kind == "YTD"
    assert tesla.get("total_assets", "prior").value == 106_618 * M        # 2023-12-31
    assert tesla.get("cash", "2023-12-31").value == 16_398 * M
    amazon = financials(lxml_filings["amazon-10k-2022-12-31"])
    assert amazon.get("cash", "2021-12-31").value == 36_220 * M
    assert amazon.get("revenue", "FY2021").value == 469_822 * M
    netflix = financials(lxml_filings["netflix-10k-2023-12-31"])
    assert netflix.get("revenue", "FY2022").value == 31_615_550 * K
    assert netflix.get("revenue", "FY1999") is None and "FY1999" in netflix.missing["revenue"]
    apple = financials(lxml_filings["apple-10q-2025-03-29"])
    assert apple.get("total_assets", "prior").value == 364_980 * M        # 2024-09-28


def test_missing_lines_say_why_and_fallbacks_say_so(lxml_filings) -> None:
    netflix = financials(lxml_filings["netflix-10k-2023-12-31"])
    assert netflix.get("inventory") is None and "not reported" in netflix.missing["inventory"]
    assert netflix.get("gross_profit") is None
    amazon = financials(lxml_filings["amazon-10k-2022-12-31"])
    assert amazon.get("total_liabilities") is None  # Amazon reports no total liabilities
    revenue = amazon.get("revenue")
    assert revenue.concept.endswith("RevenueFromContractWithCustomerExcludingAssessedTax")
    assert any("Revenues not reported" in n for n in revenue.notes)
    tesla = financials(lxml_filings["tesla-10q-2024-06-30"])
    debt = tesla.get("long_term_debt")  # "Debt and finance leases, net of current portion"
    assert debt.source == "extension" and debt.value == 5_481 * M
    assert tesla.get("Total Assets").value == 112_832 * M  # labels work as names too


def test_segments_are_not_consolidated_figures(lxml_filings) -> None:
    amazon = lxml_filings["amazon-10k-2022-12-31"]
    fin = financials(amazon)
    total = fin.get("revenue").value
    segment_values = {f.numeric for f in amazon.facts.query().concept(
        "RevenueFromContractWithCustomerExcludingAssessedTax") if f.dimensions}
    assert total == 513_983 * M and total not in segment_values
    aws = fin.get("revenue", dimensions={"StatementBusinessSegmentsAxis":
                                         "amzn:AmazonWebServicesSegmentMember"})
    assert aws is not None and aws.value == 80_096 * M  # AWS net sales 2022
