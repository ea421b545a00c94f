"""Accounting checks within the facts' own rounding: Assets = LiabilitiesAndStockholdersEquity,
current ≤ total, gross profit = revenue − cost of revenue, the classified balance sheet and NCI
identities, and the filing's own calculation-linkbase relationships for the lines used."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from finlora.xbrl.financials.lookup import face_facts
from finlora.xbrl.financials.periods import Period
from finlora.xbrl.financials.values import half_unit

Status = Literal["passed", "failed"]


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    period: str
    difference: Decimal = Decimal(0)
    tolerance: Decimal = Decimal(0)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "detail": self.detail,
                "period": self.period, "difference": str(self.difference),
                "tolerance": str(self.tolerance)}


def _equal(name: str, left: tuple[str, Decimal, Decimal], terms: list[tuple[str, Decimal,
           Decimal, float]], period: str) -> Check:
    """left = Σ weight × term, within the sum of each side's half units."""
    total = sum((Decimal(str(w)) * v for _, v, _, w in terms), Decimal(0))
    tolerance = left[2] + sum((t for _, _, t, _ in terms), Decimal(0))
    difference = left[1] - total
    expression = " ".join(f"{'+' if w > 0 else '−'} {c}" for c, _, _, w in terms).lstrip("+ ")
    detail = f"{left[0]} {left[1]} vs {expression} = {total}"
    return Check(name, "passed" if abs(difference) <= tolerance else "failed", detail, period,
                 difference, tolerance)


def _term(value: Any) -> tuple[str, Decimal, Decimal]:
    return (value.concept, value.value, value.tolerance)


def identity_checks(fin: Any, period: str | date | None = None) -> list[Check]:
    """The fundamental identities where all their lines are reported (not derived)."""
    def line(key: str) -> Any:
        value = fin.get(key, period)
        return value if value is not None and value.source in ("standard", "extension") else None

    checks = []
    assets, le = line("total_assets"), line("liabilities_and_equity")
    if assets and le:
        checks.append(_equal("Assets = LiabilitiesAndStockholdersEquity", _term(assets),
                             [(*_term(le), 1.0)], assets.period.label))
    for part, whole in (("current_assets", "total_assets"),
                        ("current_liabilities", "total_liabilities")):
        small, big = line(part), line(whole)
        if small and big:
            ok = small.value <= big.value + small.tolerance + big.tolerance
            checks.append(Check(f"{small.concept} ≤ {big.concept}", "passed" if ok else "failed",
                                f"{small.value} ≤ {big.value}", big.period.label,
                                small.value - big.value))
    noncurrent, current = line("noncurrent_assets"), line("current_assets")
    if assets and noncurrent and current:
        checks.append(_equal("Assets = AssetsCurrent + AssetsNoncurrent", _term(assets),
                             [(*_term(current), 1.0), (*_term(noncurrent), 1.0)],
                             assets.period.label))
    gross, revenue, cost = line("gross_profit"), line("revenue"), line("cost_of_revenue")
    if gross and revenue and cost and revenue.period == gross.period == cost.period:
        checks.append(_equal("GrossProfit = Revenue − CostOfRevenue", _term(gross),
                             [(*_term(revenue), 1.0), (*_term(cost), -1.0)], gross.period.label))
    parent, nci, total = line("net_income"), line("net_income_nci"), line(
        "net_income_including_nci")
    if parent and nci and total and parent.concept == "us-gaap:NetIncomeLoss" and \
            total.concept == "us-gaap:ProfitLoss":
        checks.append(_equal("ProfitLoss = NetIncomeLoss + NCI", _term(total),
                             [(*_term(parent), 1.0), (*_term(nci), 1.0)], total.period.label))
    return checks


def calculation_checks(fin: Any, concepts: set[str], periods: list[Period],
                       roles: set[str] | None = None) -> list[Check]:
    """The filing's calculation relationships whose parent is one of `concepts`, for each
    period, over consolidated facts. Children without a fact are left out (XBRL 2.1); a
    relationship with no child reported is not checked, nor one that does not add up while a
    child of it is reported for another of `periods` but not this one (an older column the
    filing reports only in part: undecidable, not failed). Outside `roles` (the statements),
    only relationships with every child reported are checked."""
    checks = []
    seen: set[tuple] = set()
    for calc in fin.filing.calculations:
        if calc.parent not in concepts:
            continue
        key = (calc.parent, tuple(calc.children))
        if key in seen:
            continue
        seen.add(key)
        in_statement = roles is None or calc.role in roles
        members = fin.presentation.members(calc.role) if in_statement else set()
        for period in periods:
            parents = fin.index.concept(calc.parent, period)
            if not parents:
                continue
            terms = []
            incomplete = False
            for child, weight in calc.children:
                facts = face_facts(fin.index, child, period, members)
                if facts:
                    terms.append((child, sum((f.numeric for f in facts), Decimal(0)),
                                  sum((half_unit(f.decimals) for f in facts), Decimal(0)),
                                  weight))
                else:  # a line the statement shows for another column, not for this one
                    incomplete |= any(face_facts(fin.index, child, other, members)
                                      for other in periods if other != period)
            if not terms or (not in_statement and len(terms) < len(calc.children)):
                continue
            top = parents[0]
            check = _equal(f"calculation: {calc.parent}",
                           (top.concept, top.numeric, half_unit(top.decimals)), terms,
                           period.label)
            if check.passed or not incomplete:
                checks.append(check)
    return checks


def run_checks(fin: Any, period: str | date | None = None) -> list[Check]:
    """Identities plus the calculation relationships of the key lines' concepts."""
    checks = identity_checks(fin, period)
    used = fin.key_facts(period)
    by_period: dict[Period, set[str]] = {}
    for value in used.values():
        if value.source != "derived":
            by_period.setdefault(value.period, set()).add(value.concept)
    roles = {fin.presentation.statement_role(s) for s in ("balance", "income", "cashflow")}
    for when, concepts in by_period.items():
        checks += calculation_checks(fin, concepts, [when], {r for r in roles if r})
    return checks
