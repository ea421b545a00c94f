"""`Financials`: the fluent API over one filing — standard lines, key facts, ratios, checks and
statements, each value citing its fact.

    fin = financials(filing)          # or filing.financials
    fin.get("revenue").value          # Decimal, for the policy's period (FY / quarter)
    fin.get("revenue", period="prior"); fin.get("cash", period="FY2022")
    fin.ratio("quick"); fin.checks(); fin.statement("income").to_text()
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cached_property
from typing import Any

from finlora.xbrl.financials.concepts import KEY_FACTS, STANDARD_CONCEPTS, StandardConcept, standard
from finlora.xbrl.financials.lookup import FactIndex, find_extension, value_of
from finlora.xbrl.financials.periods import Period, ReportPeriods
from finlora.xbrl.financials.policy import report_periods
from finlora.xbrl.financials.presentation import Presentation, read_presentation
from finlora.xbrl.financials.values import LineValue

_DERIVED = {"total_liabilities": (("liabilities_and_equity", 1), ("equity_including_nci", -1))}


class Financials:
    """Standard financial lines of one filing, for its report periods."""

    def __init__(self, filing: Any) -> None:
        self.filing = filing
        self.periods: ReportPeriods = report_periods(filing)
        self.index = FactIndex(filing.facts)
        self.missing: dict[str, str] = {}  # key -> why it has no value (last lookups)

    @cached_property
    def presentation(self) -> Presentation:
        return read_presentation(self.filing)

    @property
    def notes(self) -> list[str]:
        notes = list(self.periods.notes)
        if not self.presentation.roles:
            notes.append(f"{self.filing.path.name}: no presentation linkbase next to the "
                         "filing: no statements, no company-extension lines")
        return notes

    def period(self, line: StandardConcept | str, period: str | date | None = None,
               ytd: bool = False) -> tuple[Period | None, str | None]:
        item = standard(line) if isinstance(line, str) else line
        return self.periods.resolve(period, item.instant, ytd)

    # ---- lines ----
    def get(self, name: str, period: str | date | None = None, *, ytd: bool = False,
            dimensions: dict[str, str] | None = None) -> LineValue | None:
        """The line `name` (key such as `revenue`, or label such as `Total Assets`) for the
        report period (or `period`: `prior`, `ytd`, a date, `FY2022`); consolidated unless
        `dimensions` are given. None when not reported (the reason in `missing[key]`)."""
        line = standard(name)
        found, note = self.period(line, period, ytd)
        notes: list[str] = []
        if found is None and not line.instant and not ytd and self.periods.ytd is not None \
                and period in (None, "current"):
            found, note = self.periods.ytd, None
            notes.append("no quarter period: year to date")
        if found is None:
            self.missing[line.key] = note or "no report period"
            return None
        value = self._lookup(line, found, dimensions, notes)
        if value is None and not line.instant and found.kind == "quarter" and \
                self.periods.ytd not in (None, found) and period in (None, "current"):
            value = self._lookup(line, self.periods.ytd, dimensions,  # type: ignore[arg-type]
                                 [f"only year to date is reported ({self.periods.ytd.label}),"
                                  " not the quarter"])
        if value is None:
            self.missing[line.key] = f"not reported for {found.label}"
        else:
            self.missing.pop(line.key, None)
        return value

    def _lookup(self, line: StandardConcept, period: Period, dimensions: dict[str, str] | None,
                notes: list[str]) -> LineValue | None:
        labels = self.filing.labels
        for rank, name in enumerate(line.candidates):
            facts = self.index.standard(name, period, dimensions)
            if facts:
                extra = [f"{name} used: {line.candidates[0]} not reported"] if rank else []
                return value_of(line, facts, period, "standard", notes + extra,
                                labels.get(facts[0].concept))
        for name in line.fallbacks:
            facts = self.index.standard(name, period, dimensions)
            if facts:
                note = f"{' / '.join(line.candidates)} not reported; {name} is used instead"
                return value_of(line, facts, period, "fallback", [*notes, note],
                                labels.get(facts[0].concept))
        if dimensions:
            return None
        for name in line.candidates:
            facts = self.index.near(name, period)
            if facts:
                note = (f"{name} is reported for {facts[0].period_label}, a few days off the "
                        f"report period {period.label}")
                return value_of(line, facts, period, "standard", [*notes, note],
                                labels.get(facts[0].concept))
        extension = find_extension(line, self.index, period, self.presentation, labels)
        if extension is not None:
            concept, text = extension
            note = (f"company extension {concept} ('{text}'), placed at this line by the "
                    "filing's presentation linkbase")
            return value_of(line, self.index.concept(concept, period), period, "extension",
                            [*notes, note], text)
        return self._derive(line, period, notes)

    def _derive(self, line: StandardConcept, period: Period, notes: list[str]
                ) -> LineValue | None:
        parts = _DERIVED.get(line.key)
        if parts is None:
            return None
        values = [(self._lookup(standard(k), period, None, []), sign) for k, sign in parts]
        if any(v is None or v.source != "standard" for v, _ in values):
            return None
        if self.index.by_name.get("TemporaryEquityCarryingAmountIncludingPortionAttributableToParent"):
            return None  # mezzanine equity would be counted as a liability
        total = sum((v.value * sign for v, sign in values), start=values[0][0].value * 0)
        first = values[0][0]
        formula = " − ".join(v.concept for v, _ in values)
        return LineValue(line.key, line.label, "derived", total, first.unit,
                         min(v.decimals if v.decimals is not None else 99 for v, _ in values),
                         period, "derived",
                         tuple(c for v, _ in values for c in v.citations), None,
                         (*notes, f"not reported; derived as {formula}"))

    def lines(self, keys: Sequence[str] | None = None, period: str | date | None = None
              ) -> dict[str, LineValue]:
        """Every standard line (or `keys`) the filing reports for the period."""
        found = {}
        for line in (STANDARD_CONCEPTS if keys is None else [standard(k) for k in keys]):
            value = self.get(line.key, period)
            if value is not None:
                found[line.key] = value
        return found

    def key_facts(self, period: str | date | None = None) -> dict[str, LineValue]:
        """FinLoRA's 14 key concepts, by key (`total_assets` ... `inventory`)."""
        return self.lines(KEY_FACTS, period)

    def period_facts(self, ytd: bool = True) -> list[Any]:
        """One consolidated numeric fact per concept for the report period: instants at the
        report date, durations of the current period (FY / quarter), and — with `ytd` — the
        year to date for concepts reported only that way (most cash-flow lines of a 10-Q)."""
        periods = [p for p in (self.periods.instant, self.periods.current) if p is not None]
        if ytd and self.periods.ytd is not None and self.periods.ytd not in periods:
            periods.append(self.periods.ytd)
        chosen: dict[str, Any] = {}
        for period in periods:
            for concept, facts in self.index.by_concept.items():
                if concept in chosen:
                    continue
                match = self.index.at(facts, period, None)
                if match:
                    chosen[concept] = match[0]
        return list(chosen.values())

    def kind_of(self, fact: Any) -> str:
        """The period kind of a fact: instant, FY, quarter, YTD ... or other."""
        for period in (self.periods.instant, self.periods.current, self.periods.ytd):
            if period is not None and period.matches(fact):
                return period.kind
        return "instant" if fact.instant is not None else "other"

    def unresolved(self, keys: Sequence[str] = KEY_FACTS) -> dict[str, str]:
        """Lines without a value and why (after `get` / `key_facts`)."""
        return {k: self.missing[k] for k in keys if k in self.missing}

    # ---- ratios, checks, statements ----
    def ratio(self, name: str, period: str | date | None = None) -> Any:
        from finlora.xbrl.financials.ratios import compute_ratio

        return compute_ratio(self, name, period)

    def ratios(self, period: str | date | None = None) -> dict[str, Any]:
        from finlora.xbrl.financials.ratios import RATIOS

        return {name: self.ratio(name, period) for name in RATIOS}

    def checks(self, period: str | date | None = None) -> list[Any]:
        from finlora.xbrl.financials.checks import run_checks

        return run_checks(self, period)

    def statement(self, kind: str, period: str | date | None = None) -> Any:
        from finlora.xbrl.financials.statements import build_statement

        return build_statement(self, kind, period)


def financials(filing: Any) -> Financials:
    """The (cached) `Financials` of a loaded filing."""
    cache = filing.__dict__.setdefault("_financials_cache", {})
    if "value" not in cache:
        cache["value"] = Financials(filing)
    return cache["value"]
