"""Standard line items: each maps to ordered candidate US-GAAP tags (synonyms across taxonomy
years first to last), the statement it belongs to and whether it is an instant or a duration.

Totals come before components; a `fallback` tag is a different line (e.g. net income including
noncontrolling interest) used only when none of the candidates is reported, and said so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Statement = Literal["balance", "income", "cashflow"]


@dataclass(frozen=True)
class StandardConcept:
    key: str
    label: str                      # the question label (FinLoRA's wording where it has one)
    statement: Statement
    candidates: tuple[str, ...]     # US-GAAP local names, in order of preference
    fallbacks: tuple[str, ...] = ()  # another line, used with a note
    pattern: str = ""               # a company-extension label at this line (regex, lowercase)

    @property
    def instant(self) -> bool:
        return self.statement == "balance"

    def label_pattern(self) -> re.Pattern[str]:
        words = self.pattern or re.escape(self.label.lower())
        return re.compile(rf"^(total |net )?({words})(, net| net)?$")


def _c(key: str, label: str, statement: Statement, *candidates: str, fallbacks: tuple = (),
       pattern: str = "") -> StandardConcept:
    return StandardConcept(key, label, statement, candidates, fallbacks, pattern)


STANDARD_CONCEPTS: tuple[StandardConcept, ...] = (
    # balance sheet
    _c("cash", "Cash and Cash Equivalents", "balance", "CashAndCashEquivalentsAtCarryingValue",
       "CashAndDueFromBanks", "Cash",
       fallbacks=("CashCashEquivalentsRestrictedCashAndRestrictedCashEquivalents",),
       pattern="cash and cash equivalents|cash"),
    _c("short_term_investments", "Short-Term Investments", "balance", "ShortTermInvestments",
       "MarketableSecuritiesCurrent", "AvailableForSaleSecuritiesDebtSecuritiesCurrent",
       pattern="short-term investments|marketable securities"),
    _c("accounts_receivable", "Accounts Receivable", "balance", "AccountsReceivableNetCurrent",
       "ReceivablesNetCurrent", "AccountsNotesAndLoansReceivableNetCurrent",
       pattern="accounts receivable|receivables"),
    _c("inventory", "Inventory", "balance", "InventoryNet", pattern="inventor(y|ies)"),
    _c("current_assets", "Total Current Assets", "balance", "AssetsCurrent",
       pattern="current assets"),
    _c("ppe", "Property, Plant and Equipment, Net", "balance", "PropertyPlantAndEquipmentNet",
       "PropertyPlantAndEquipmentAndFinanceLeaseRightOfUseAssetAfterAccumulatedDepreciationAndAmortization",
       pattern="property(, plant)? and equipment"),
    _c("goodwill", "Goodwill", "balance", "Goodwill"),
    _c("intangibles", "Intangible Assets", "balance", "IntangibleAssetsNetExcludingGoodwill",
       "FiniteLivedIntangibleAssetsNet", pattern="intangible assets"),
    _c("noncurrent_assets", "Total Non-Current Assets", "balance", "AssetsNoncurrent",
       pattern="non-?current assets"),
    _c("total_assets", "Total Assets", "balance", "Assets", pattern="assets"),
    _c("accounts_payable", "Accounts Payable", "balance", "AccountsPayableCurrent",
       "AccountsPayableTradeCurrent",
       fallbacks=("AccountsPayableAndAccruedLiabilitiesCurrent",), pattern="accounts payable"),
    _c("short_term_debt", "Short-Term Debt", "balance", "DebtCurrent", "LongTermDebtCurrent",
       "ShortTermBorrowings", "CommercialPaper", pattern="short-term debt|current portion of "
       "long-term debt"),
    _c("current_liabilities", "Total Current Liabilities", "balance", "LiabilitiesCurrent",
       pattern="current liabilities"),
    _c("long_term_debt", "Long-Term Debt", "balance", "LongTermDebtNoncurrent",
       "LongTermDebtAndCapitalLeaseObligations", "LongTermNotesPayable", "SeniorLongTermNotes",
       pattern="long-term debt|(long-term )?debt( and (finance|capital) leases?)?,? net of "
       "current portion"),
    _c("noncurrent_liabilities", "Total Non-Current Liabilities", "balance",
       "LiabilitiesNoncurrent", pattern="non-?current liabilities"),
    _c("total_liabilities", "Total Liabilities", "balance", "Liabilities", pattern="liabilities"),
    _c("common_stock", "Common Stock and Paid-In Capital", "balance", "CommonStockValue",
       "CommonStocksIncludingAdditionalPaidInCapital", pattern="common stock"),
    _c("retained_earnings", "Retained Earnings", "balance", "RetainedEarningsAccumulatedDeficit",
       pattern="retained earnings|accumulated deficit|retained earnings \\(accumulated deficit\\)"),
    _c("equity", "Stockholders' Equity", "balance", "StockholdersEquity",
       fallbacks=("StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest",),
       pattern="(stockholders|shareholders)['’] equity( \\(deficit\\))?"),
    _c("equity_including_nci", "Total Equity", "balance",
       "StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest",
       fallbacks=("StockholdersEquity",), pattern="equity"),
    _c("nci_equity", "Noncontrolling Interests", "balance", "MinorityInterest",
       pattern="noncontrolling interests?"),
    _c("liabilities_and_equity", "Total Liabilities and Equity", "balance",
       "LiabilitiesAndStockholdersEquity",
       pattern="liabilities and (stockholders['’] |shareholders['’] )?equity"),
    # income statement
    _c("revenue", "Revenue", "income", "Revenues",
       "RevenueFromContractWithCustomerExcludingAssessedTax", "SalesRevenueNet",
       "RevenueFromContractWithCustomerIncludingAssessedTax", "SalesRevenueGoodsNet",
       "SalesRevenueServicesNet", "RevenuesNetOfInterestExpense",
       pattern="revenues?|sales|net sales|net revenues?"),
    _c("cost_of_revenue", "Cost of Revenue", "income", "CostOfRevenue",
       "CostOfGoodsAndServicesSold", "CostOfGoodsSold", "CostOfServices",
       pattern="cost of (revenues?|sales)"),
    _c("gross_profit", "Gross Profit", "income", "GrossProfit", pattern="gross (profit|margin)"),
    _c("rnd", "Research and Development Expense", "income", "ResearchAndDevelopmentExpense",
       "ResearchAndDevelopmentExpenseExcludingAcquiredInProcessCost",
       pattern="research and development( expense)?"),
    _c("sga", "Selling, General and Administrative Expense", "income",
       "SellingGeneralAndAdministrativeExpense",
       pattern="selling, general and administrative( expenses?)?"),
    _c("operating_expenses", "Total Operating Expenses", "income", "OperatingExpenses",
       pattern="operating expenses"),
    _c("operating_income", "Operating Income", "income", "OperatingIncomeLoss",
       pattern="operating income( \\(loss\\))?|income( \\(loss\\))? from operations"),
    _c("interest_expense", "Interest Expense", "income", "InterestExpense",
       "InterestExpenseNonoperating", "InterestExpenseDebt", "InterestAndDebtExpense",
       pattern="interest expense"),
    _c("pretax_income", "Income Before Income Taxes", "income",
       "IncomeLossFromContinuingOperationsBeforeIncomeTaxesExtraordinaryItemsNoncontrollingInterest",
       "IncomeLossFromContinuingOperationsBeforeIncomeTaxesMinorityInterestAndIncomeLossFromEquityMethodInvestments",
       pattern="income( \\(loss\\))? before (provision for )?income taxes"),
    _c("income_tax", "Income Tax Expense", "income", "IncomeTaxExpenseBenefit",
       pattern="(provision for|benefit from) income taxes|income tax expense"),
    _c("net_income", "Net Income", "income", "NetIncomeLoss",
       fallbacks=("ProfitLoss", "NetIncomeLossAvailableToCommonStockholdersBasic"),
       pattern="net income( \\(loss\\))?( attributable to common stockholders)?"),
    _c("net_income_including_nci", "Net Income Including Noncontrolling Interests", "income",
       "ProfitLoss", fallbacks=("NetIncomeLoss",), pattern="net income including .*"),
    _c("net_income_nci", "Net Income Attributable to Noncontrolling Interests", "income",
       "NetIncomeLossAttributableToNoncontrollingInterest",
       pattern="net income attributable to noncontrolling interests?"),
    _c("eps_basic", "Basic Earnings Per Share", "income", "EarningsPerShareBasic",
       "EarningsPerShareBasicAndDiluted", pattern="basic"),
    _c("eps_diluted", "Diluted Earnings Per Share", "income", "EarningsPerShareDiluted",
       "EarningsPerShareBasicAndDiluted", pattern="diluted"),
    _c("shares_basic", "Weighted Average Shares, Basic", "income",
       "WeightedAverageNumberOfSharesOutstandingBasic", pattern="weighted average shares.*basic"),
    _c("shares_diluted", "Weighted Average Shares, Diluted", "income",
       "WeightedAverageNumberOfDilutedSharesOutstanding",
       pattern="weighted average shares.*diluted"),
    # cash-flow statement
    _c("operating_cash_flow", "Net Cash from Operating Activities", "cashflow",
       "NetCashProvidedByUsedInOperatingActivities",
       "NetCashProvidedByUsedInOperatingActivitiesContinuingOperations",
       pattern="net cash (provided by|from|used in) .*operating activities"),
    _c("investing_cash_flow", "Net Cash from Investing Activities", "cashflow",
       "NetCashProvidedByUsedInInvestingActivities",
       "NetCashProvidedByUsedInInvestingActivitiesContinuingOperations",
       pattern="net cash (provided by|from|used in) .*investing activities"),
    _c("financing_cash_flow", "Net Cash from Financing Activities", "cashflow",
       "NetCashProvidedByUsedInFinancingActivities",
       "NetCashProvidedByUsedInFinancingActivitiesContinuingOperations",
       pattern="net cash (provided by|from|used in) .*financing activities"),
    _c("capex", "Capital Expenditures", "cashflow", "PaymentsToAcquirePropertyPlantAndEquipment",
       "PaymentsToAcquireProductiveAssets", "PaymentsForCapitalImprovements",
       pattern="(purchases of|additions to) property(, plant)? and equipment.*|capital "
       "expenditures"),
    _c("dna", "Depreciation and Amortization", "cashflow", "DepreciationDepletionAndAmortization",
       "DepreciationAmortizationAndAccretionNet", "DepreciationAndAmortization",
       pattern="depreciation(, amortization)?( and amortization)?.*"),
    _c("stock_compensation", "Stock-Based Compensation", "cashflow", "ShareBasedCompensation",
       "AllocatedShareBasedCompensationExpense", pattern="stock-based compensation.*"),
    _c("dividends_paid", "Dividends Paid", "cashflow", "PaymentsOfDividends",
       "PaymentsOfDividendsCommonStock", pattern="(common stock )?dividends paid"),
    _c("buybacks", "Repurchases of Common Stock", "cashflow",
       "PaymentsForRepurchaseOfCommonStock", pattern="(repurchases?|purchases?) of common stock"),
    _c("cash_change", "Net Change in Cash", "cashflow",
       "CashCashEquivalentsRestrictedCashAndRestrictedCashEquivalentsPeriodIncreaseDecreaseIncludingExchangeRateEffect",
       "CashAndCashEquivalentsPeriodIncreaseDecrease",
       "CashCashEquivalentsRestrictedCashAndRestrictedCashEquivalentsPeriodIncreaseDecreaseExcludingExchangeRateEffect",
       pattern="net (increase|decrease|change).* in cash.*"),
)

BY_KEY: dict[str, StandardConcept] = {c.key: c for c in STANDARD_CONCEPTS}
# FinLoRA's 14 key concepts (question labels) in the order finlora has always asked them
KEY_FACTS: tuple[str, ...] = (
    "total_assets", "total_liabilities", "equity", "current_assets", "current_liabilities",
    "cash", "revenue", "net_income", "operating_income", "gross_profit", "eps_diluted",
    "eps_basic", "accounts_payable", "inventory")
# further lines that training data asks as free questions
FREE_LINES: tuple[str, ...] = ("rnd", "income_tax", "operating_cash_flow", "capex", "sga",
                               "interest_expense")
_ALIASES = {c.label.lower(): c.key for c in STANDARD_CONCEPTS}


def standard(name: str) -> StandardConcept:
    """A standard line by key (`revenue`) or label (`Total Assets`), case-insensitive."""
    text = name.strip()
    key = text if text in BY_KEY else _ALIASES.get(text.lower(), text.lower().replace(" ", "_"))
    if key not in BY_KEY:
        from finlora.errors import DataError

        raise DataError(f"unknown standard line {name!r}: choose from {', '.join(BY_KEY)}")
    return BY_KEY[key]
