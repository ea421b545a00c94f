"""finlora.xbrl.financials: trustworthy figures from a filing (no torch).

Report periods from the filing's dei facts, ~50 standard line items mapped onto ordered US-GAAP
tags, statements from the presentation linkbase, exact ratios and accounting checks; every
value cites its fact.

    from finlora.xbrl import load_filing
    from finlora.xbrl.financials import financials
    fin = financials(load_filing("examples/filings/microsoft-10k-2015-06-30"))
    fin.get("revenue").value            # Decimal('93580000000'): the fiscal year, not Q4
    fin.ratio("quick").value; fin.checks(); print(fin.statement("income").to_text())
"""

from finlora.xbrl.financials.checks import Check
from finlora.xbrl.financials.concepts import (
    BY_KEY,
    FREE_LINES,
    KEY_FACTS,
    STANDARD_CONCEPTS,
    StandardConcept,
    standard,
)
from finlora.xbrl.financials.core import Financials, financials
from finlora.xbrl.financials.periods import Period, ReportPeriods
from finlora.xbrl.financials.policy import report_periods
from finlora.xbrl.financials.ratios import RATIOS, RatioValue, ratio_name
from finlora.xbrl.financials.statements import Statement
from finlora.xbrl.financials.values import FactCitation, LineValue

__all__ = ["BY_KEY", "Check", "FREE_LINES", "FactCitation", "Financials", "KEY_FACTS",
           "LineValue", "Period", "RATIOS", "RatioValue", "ReportPeriods", "STANDARD_CONCEPTS",
           "StandardConcept", "Statement", "financials", "ratio_name", "report_periods",
           "standard"]
