"""Training questions shaped like FinLoRA's xbrl_tags set, built from any filing.

FinLoRA's XBRL prompts hold a long snippet of a filing's facts (`<us-gaap:X >value</>` lines)
and ask, in one of a few phrasings, for the tag of a line item named in words ("Total Equity",
"Cash Flow for Operating Activities"). The grounded answers to its value and formula questions
(`finlora_xbrl`) reduce to that same choice. `tag_questions(filing)` asks it about a filing's
own facts: each question gets its own seeded sample of the period's facts (the gold among
them, in the filing's order), so an adapter learns to read names, not positions. The label →
concept map below is standard US-GAAP usage, written by hand (not taken from FinLoRA's gold),
each line item's tags in order of preference.
"""

from __future__ import annotations

import random
import re
from typing import Any

from finlora.tasks.base import Example
from finlora.tasks.xbrl_extraction import question_prompt

LABELS: dict[str, tuple[str, ...]] = {
    "Total Assets": ("Assets",),
    "Total Liabilities": ("Liabilities",),
    # ASC 810: total equity includes the noncontrolling interest; the parent's alone otherwise
    "Total Equity": ("StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest",
                     "StockholdersEquity"),
    "Current Assets": ("AssetsCurrent",),
    "Current Liabilities": ("LiabilitiesCurrent",),
    "Cash and Cash Equivalents": ("CashAndCashEquivalentsAtCarryingValue",),
    # a bank's total revenues are net of interest expense; contract revenue is only part of it
    "Total Revenue": ("RevenuesNetOfInterestExpense", "Revenues",
                      "RevenueFromContractWithCustomerExcludingAssessedTax"),
    "Net Income": ("NetIncomeLoss", "ProfitLoss"),
    "Operating Income": ("OperatingIncomeLoss",),
    "Gross Profit": ("GrossProfit",),
    "Inventory": ("InventoryNet", "InventoryNetOfAllowancesCustomerAdvancesAndProgressBillings"),
    "Accounts Payable": ("AccountsPayableCurrent",),
    "Accounts Receivable": ("AccountsReceivableNetCurrent",),
    "Retained Earnings": ("RetainedEarningsAccumulatedDeficit",),
    "Goodwill": ("Goodwill",),
    "Plant, Property, and Equipment": (
        "PropertyPlantAndEquipmentNet",
        "PropertyPlantAndEquipmentAndFinanceLeaseRightOfUseAssetAfterAccumulatedDepreciationAndAmortization"),
    # filers with discontinued operations tag the continuing operations' cash flows
    "Cash Flow for Operating Activities": (
        "NetCashProvidedByUsedInOperatingActivities",
        "NetCashProvidedByUsedInOperatingActivitiesContinuingOperations"),
    "Cash Flow for Investing Activities": (
        "NetCashProvidedByUsedInInvestingActivities",
        "NetCashProvidedByUsedInInvestingActivitiesContinuingOperations"),
    "Cash Flow for Financing Activities": (
        "NetCashProvidedByUsedInFinancingActivities",
        "NetCashProvidedByUsedInFinancingActivitiesContinuingOperations"),
    "Operating Expenses": ("OperatingExpenses", "CostsAndExpenses"),
    "Cost of Goods Sold": ("CostOfGoodsAndServicesSold", "CostOfRevenue"),
    "Common Stock": ("CommonStockValue",),
    "Common Stock Repurchased": ("PaymentsForRepurchaseOfCommonStock",),
    "Long-Term Debt": ("LongTermDebtNoncurrent", "LongTermDebt"),
    "Income Tax Expense": ("IncomeTaxExpenseBenefit",),
    "Interest Expense": ("InterestExpense",),
}
# FinLoRA's phrasings of a tag question (the first is the one `finlora_xbrl` asks)
ASKS = (
    "What is the US GAAP XBRL tag for {label} as reported by {company} for the Fiscal Year "
    "ending in FY {year}?",
    "Can you provide the XBRL tag under US GAAP for {label} that was used by {company} in the "
    "FY {year}?",
    "Please find the designated US GAAP XBRL tag for {label} reported by {company} at the end "
    "of FY {year}.",
    "Identify the US GAAP XBRL tag for {label} as used by {company} during the FY {year}.",
    "What XBRL tag corresponds to {label} for {company} for the fiscal period concluding in "
    "FY {year}?",
)
_ASKED = [re.compile("^" + re.escape(ask).replace(r"\{label\}", "(?P<label>.+?)")
                     .replace(r"\{company\}", ".+?").replace(r"\{year\}", r"\d{4}") + r"\s*$")
          for ask in ASKS]


def asked_label(question: str) -> str | None:
    """The line item a tag question in one of FinLoRA's phrasings asks about, or None."""
    for pattern in _ASKED:
        if match := pattern.match(question.strip()):
            return match.group("label").strip()
    return None


def standard_tags(label: str, concepts: tuple[str, ...]) -> tuple[str, ...]:
    """The first of `label`'s standard us-gaap tags (`LABELS`, in their order of preference)
    that is among `concepts` (QNames), alone: the rule `tag_questions` trains with; all of
    `concepts` when the label is not in `LABELS` or none of its tags is there."""
    present = set(concepts)
    for name in LABELS.get(label, ()):
        if f"us-gaap:{name}" in present:
            return (f"us-gaap:{name}",)
    return concepts


def tag_questions(filing: Any, per_label: int = 2, max_facts: int = 60, seed: int = 0
                  ) -> list[Example]:
    """`per_label` FinLoRA-style tag questions for each line item of `LABELS` the filing
    reports at its period end (no dimensions), each over its own sample of `max_facts` of the
    period's us-gaap facts."""
    end = filing.period_end
    facts = [f for f in filing.facts.query().without_dimensions().numeric()
             if f.prefix == "us-gaap" and (f.instant or f.period_end) == end]
    first: dict[str, Any] = {}
    for fact in facts:  # the filing's order; a concept's first fact of the period
        first.setdefault(fact.concept, fact)
    pool = list(first.values())
    company = filing.entity_name or "the company"
    year = filing.fiscal_year_focus or (end.year if end else "")
    rng = random.Random(seed)
    examples = []
    for label, names in LABELS.items():
        gold = next((first[f"us-gaap:{n}"] for n in names if f"us-gaap:{n}" in first), None)
        if gold is None:
            continue
        for k in range(per_label):
            others = [f for f in pool if f is not gold]
            chosen = {id(f) for f in rng.sample(others, min(len(others), max_facts - 1))}
            context = [f for f in pool if f is gold or id(f) in chosen]
            ask = ASKS[0] if k == 0 else rng.choice(ASKS[1:])
            question = ask.format(label=label, company=company, year=year)
            examples.append(Example(question_prompt(context, "tag", question), gold.concept,
                                    {"kind": "tag", "label": label, "source": filing.path.name,
                                     "candidates": sorted(f.concept for f in context)}))
    return examples
