"""Report-period policy: which period a filing's figures are for, from its own dei facts.

A 10-K's durations are the fiscal year (52/53 weeks or 12 months) ending at the report date,
even when the filing also reports quarters; a 10-Q's are the quarter, year to date on request.
Instants are taken at the report date. Contexts may end a few days off the dei date (52/53-week
years). Transition periods and predecessor/successor splits are detected and named, never mixed.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

PeriodKind = Literal["FY", "quarter", "YTD", "instant", "transition", "successor",
                     "predecessor", "other"]
SLACK = timedelta(days=7)        # 52/53-week years end a few days off the dei date
YEAR_DAYS = (350, 380)           # 52 weeks = 364 days (end - start), 53 weeks = 371
QUARTER_DAYS = (80, 100)         # 13 weeks = 91 days, 14 weeks = 98
_FY = re.compile(r"^FY\s*(\d{4})$", re.IGNORECASE)
_ANNUAL_FORMS = ("10-K", "20-F", "40-F", "10-KT")


@dataclass(frozen=True)
class Period:
    """A duration (start..end) or an instant (end only), with what kind of period it is."""

    end: date
    start: date | None = None
    kind: PeriodKind = "other"

    @property
    def is_instant(self) -> bool:
        return self.start is None

    @property
    def days(self) -> int:
        return 0 if self.start is None else (self.end - self.start).days

    @property
    def label(self) -> str:
        """As `Fact.period_label`: `2024-06-30` or `2024-04-01..2024-06-30`."""
        return self.end.isoformat() if self.start is None else \
            f"{self.start.isoformat()}..{self.end.isoformat()}"

    def matches(self, fact: Any) -> bool:
        if self.start is None:
            return fact.instant == self.end
        return fact.instant is None and fact.period_start == self.start and \
            fact.period_end == self.end


def _within(days: int, bounds: tuple[int, int]) -> bool:
    return bounds[0] <= days <= bounds[1]


def _shift_year(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


@dataclass
class ReportPeriods:
    """The periods of one filing: current fiscal year or quarter, year to date, the balance
    sheet date, comparatives, and notes on anything unusual (missing dei facts, transition
    period, predecessor/successor split)."""

    document_type: str | None
    report_date: date | None
    fiscal_period_focus: str | None
    fiscal_year_focus: int | None
    fiscal_year_end: str | None      # --MM-DD
    annual: bool
    current: Period | None           # FY (10-K), quarter (10-Q), transition or successor
    ytd: Period | None               # 10-Q only; the quarter itself in Q1
    instant: Period | None           # the balance sheet date
    split: tuple[Period, Period] | None = None  # (predecessor, successor)
    notes: list[str] = field(default_factory=list)
    durations: Counter = field(default_factory=Counter, repr=False)
    instants: Counter = field(default_factory=Counter, repr=False)

    # ---- comparatives and addressing ----
    def prior(self, period: Period) -> Period | None:
        """The same kind of period one year earlier (for a 10-Q's balance sheet: the last
        fiscal year end), the one the filing reports most."""
        if period.is_instant and not self.annual and period == self.instant:
            return self._prior_year_end_instant()
        target = _shift_year(period.end, -1)
        if period.is_instant:
            near = [d for d in self.instants if abs(d - target) <= SLACK]
            best = max(near, key=lambda d: self.instants[d], default=None)
            return Period(best, None, "instant") if best else None
        near = [(s, e) for s, e in self.durations if abs(e - target) <= SLACK
                and abs((e - s).days - period.days) <= 10]
        if not near:
            return None
        start, end = max(near, key=lambda k: self.durations[k])
        return Period(end, start, period.kind)

    def _prior_year_end_instant(self) -> Period | None:
        assert self.report_date is not None
        earlier = [d for d in self.instants if d < self.report_date - SLACK]
        if self.fiscal_year_end and re.fullmatch(r"--\d\d-\d\d", self.fiscal_year_end):
            month, day = int(self.fiscal_year_end[2:4]), int(self.fiscal_year_end[5:7])
            matching = [d for d in earlier if any(
                abs(d - date(y, month, min(day, 28 if month == 2 else day))) <= SLACK
                for y in (d.year - 1, d.year, d.year + 1))]
            earlier = matching or earlier
        latest = max(earlier, default=None, key=lambda d: (d.year, self.instants[d], d))
        return Period(latest, None, "instant") if latest else None

    def fiscal_year(self, year: int) -> Period | None:
        """The fiscal-year duration named `FY<year>` (the filing's own fiscal year naming)."""
        offset = self._fy_offset()
        found = [(s, e) for s, e in self.durations if _within((e - s).days, YEAR_DAYS)
                 and e.year + offset == year]
        if not found:
            return None
        start, end = max(found, key=lambda k: self.durations[k])
        return Period(end, start, "FY")

    def _fy_offset(self) -> int:
        if self.fiscal_year_focus is None or self.report_date is None:
            return 0
        end = self.report_date
        if not self.annual and self.fiscal_year_end and len(self.fiscal_year_end) == 7:
            month, day = int(self.fiscal_year_end[2:4]), int(self.fiscal_year_end[5:7])
            fye = date(end.year, month, min(day, 28))
            end = fye if fye + SLACK >= end else date(end.year + 1, month, min(day, 28))
        return self.fiscal_year_focus - end.year

    def resolve(self, spec: str | date | None, instant: bool, ytd: bool = False
                ) -> tuple[Period | None, str | None]:
        """(period, note) for `spec`: None/"current", "prior", "ytd", "prior-ytd", "predecessor",
        a date (`2023-12-31`) or a fiscal year (`FY2022`); `instant` selects balance-sheet periods."""
        base = self.instant if instant else (self.ytd if ytd else self.current)
        text = spec.isoformat() if isinstance(spec, date) else (spec or "current").strip()
        lowered = text.lower()
        if lowered in ("current", ""):
            return base, None
        if lowered in ("ytd", "prior-ytd"):
            base = self.instant if instant else self.ytd
            if base is None:
                return None, "no year-to-date period (not a 10-Q)"
            return (base, None) if lowered == "ytd" else self._prior_or_note(base)
        if lowered == "predecessor":
            if self.split is None or instant:
                return None, "no predecessor period (no predecessor/successor split)"
            return self.split[0], None
        if lowered == "prior":
            if base is None:
                return None, "no current period to compare with"
            return self._prior_or_note(base)
        match = _FY.match(text)
        if match:
            year = self.fiscal_year(int(match.group(1)))
            if year is None:
                return None, f"no fiscal-year period FY{match.group(1)} in the filing"
            return (Period(year.end, None, "instant") if instant else year), None
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None, (f"unknown period {text!r}: use current, prior, ytd, prior-ytd, a date "
                          "(2023-12-31) or FY2022")
        return self._at_date(day, instant, base)

    def _prior_or_note(self, base: Period) -> tuple[Period | None, str | None]:
        prior = self.prior(base)
        return (prior, None) if prior else (None, f"no comparative period for {base.label}")

    def _at_date(self, day: date, instant: bool, base: Period | None
                 ) -> tuple[Period | None, str | None]:
        if instant:
            near = [d for d in self.instants if abs(d - day) <= timedelta(days=3)]
            best = min(near, key=lambda d: abs(d - day), default=None)
            return (Period(best, None, "instant"), None) if best else \
                (None, f"no balance at {day.isoformat()}")
        length = base.days if base else 364
        near = [(s, e) for s, e in self.durations if abs(e - day) <= timedelta(days=3)
                and abs((e - s).days - length) <= 10]
        if not near:
            return None, f"no {length}-day period ending {day.isoformat()}"
        start, end = max(near, key=lambda k: self.durations[k])
        return Period(end, start, base.kind if base else "other"), None
