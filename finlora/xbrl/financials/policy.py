"""`report_periods(filing)`: the filing's report periods, from dei facts and its contexts."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, timedelta
from typing import Any

from finlora.xbrl.financials.periods import (
    _ANNUAL_FORMS,
    QUARTER_DAYS,
    SLACK,
    YEAR_DAYS,
    Period,
    ReportPeriods,
    _within,
)

_SPLIT_MEMBER = re.compile(r"(predecessor|successor)", re.IGNORECASE)


def _dei_facts(filing: Any) -> dict[str, str]:
    """dei local name → the first consolidated value (one pass over the facts)."""
    found: dict[str, str] = {}
    for fact in filing.facts:
        if fact.prefix == "dei" and not fact.dimensions and fact.value:
            found.setdefault(fact.name, fact.value.strip())
    return found


def _counters(filing: Any) -> tuple[Counter, Counter]:
    durations: Counter = Counter()
    instants: Counter = Counter()
    for fact in filing.facts.query().without_dimensions().numeric():
        if fact.instant is not None:
            instants[fact.instant] += 1
        elif fact.period_start is not None and fact.period_end is not None:
            durations[(fact.period_start, fact.period_end)] += 1
    return durations, instants


def _most(durations: Counter, end: date, bounds: tuple[int, int]) -> tuple[date, date] | None:
    near = [(s, e) for s, e in durations if abs(e - end) <= SLACK
            and _within((e - s).days, bounds)]
    return max(near, key=lambda k: (durations[k], k[1]), default=None)


def _split(durations: Counter, end: date, bounds: tuple[int, int]
           ) -> tuple[Period, Period] | None:
    """A successor period ending at the report date that, with a predecessor period ending the
    day before it starts, spans the expected length (a year or a quarter)."""
    for start, stop in sorted(durations, key=lambda k: -durations[k]):
        if abs(stop - end) > SLACK or _within((stop - start).days, bounds):
            continue
        for p_start, p_stop in durations:
            if timedelta(0) <= start - p_stop <= timedelta(days=1) and \
                    _within((stop - p_start).days, bounds):
                return (Period(p_stop, p_start, "predecessor"), Period(stop, start, "successor"))
    return None


def report_periods(filing: Any) -> ReportPeriods:
    """The policy for `filing` (a `finlora.xbrl.Filing`); never raises: what is missing or
    unusual is written in `notes`."""
    notes: list[str] = []
    dei = _dei_facts(filing)
    durations, instants = _counters(filing)
    doc_type = dei.get("DocumentType")
    focus = dei.get("DocumentFiscalPeriodFocus")
    year_text = dei.get("DocumentFiscalYearFocus")
    fy_focus = int(year_text[:4]) if year_text and year_text[:4].isdigit() else None
    fye = dei.get("CurrentFiscalYearEndDate")
    report_date = _report_date(dei.get("DocumentPeriodEndDate"), durations, instants, notes)
    if doc_type is None:
        notes.append("no dei:DocumentType: form inferred from the period lengths")
    if focus is None:
        notes.append("no dei:DocumentFiscalPeriodFocus: period inferred from context lengths")
    if report_date is None:
        notes.append("no dated facts at all: no report period")
        return ReportPeriods(doc_type, None, focus, fy_focus, fye, False, None, None, None,
                             notes=notes, durations=durations, instants=instants)
    year = _most(durations, report_date, YEAR_DAYS)
    quarter = _most(durations, report_date, QUARTER_DAYS)
    if doc_type:
        annual = doc_type.upper().startswith(_ANNUAL_FORMS) or focus == "FY"
    else:
        annual = year is not None and (quarter is None or durations[year] >= durations[quarter])
    transition = (doc_type or "").upper().endswith("T") or \
        (dei.get("DocumentTransitionReport") or "").lower() == "true"
    split = _split(durations, report_date, YEAR_DAYS if annual else QUARTER_DAYS)
    ytd: Period | None = None
    if annual:
        current = _fiscal_year(durations, report_date, year, transition, split is None, notes)
    else:
        current, ytd = _quarter_and_ytd(durations, report_date, quarter, notes)
    if split is not None and (current is None or current.kind == "other"):
        predecessor, successor = split
        current = successor
        notes.append(f"predecessor/successor split: predecessor {predecessor.label}, successor "
                     f"{successor.label}; figures are the successor's, never combined")
    else:
        split = None
    members = {m for f in filing.facts.query().where(lambda f: bool(f.dimensions))
               for m in f.dimensions.values() if _SPLIT_MEMBER.search(m)}
    if members:
        notes.append("predecessor/successor members in dimensional contexts "
                     f"({', '.join(sorted(members))}): consolidated non-dimensional facts used")
    near = [d for d in instants if abs(d - report_date) <= SLACK]
    at = max(near, key=lambda d: (instants[d], d == report_date), default=None)
    instant = Period(at, None, "instant") if at else None
    if current is None:
        notes.append(f"no duration ends at the report date {report_date}")
    return ReportPeriods(doc_type, report_date, focus, fy_focus, fye, annual, current, ytd,
                         instant, split, notes, durations, instants)


def _report_date(end_text: str | None, durations: Counter, instants: Counter,
                 notes: list[str]) -> date | None:
    """dei:DocumentPeriodEndDate, else the latest period end the filing reports widely."""
    try:
        report_date = date.fromisoformat(end_text[:10]) if end_text else None
    except ValueError:
        report_date = None
    if report_date is None:
        ends = Counter({e: n for (_, e), n in durations.items()}) + instants
        report_date = max(ends, key=lambda d: (ends[d] >= max(ends.values()) / 4, d),
                          default=None)
        notes.append("no dei:DocumentPeriodEndDate: report date taken as the latest period end "
                     f"the filing reports widely ({report_date})")
    return report_date


def _longest_ending(durations: Counter, report_date: date, at_most: int | None = None
                    ) -> tuple[date, date] | None:
    """The longest duration (then the most reported) ending at the report date."""
    return max(((s, e) for s, e in durations if abs(e - report_date) <= SLACK
                and (at_most is None or (e - s).days <= at_most)),
               key=lambda k: ((k[1] - k[0]).days, durations[k]), default=None)


def _fiscal_year(durations: Counter, report_date: date, year: tuple[date, date] | None,
                 transition: bool, no_split: bool, notes: list[str]) -> Period | None:
    """An annual report's period: its fiscal year, a transition period, or (no year and no
    predecessor/successor split) the longest period ending at the report date."""
    current = Period(year[1], year[0], "FY") if year else None
    if current is None or transition:
        longest = _longest_ending(durations, report_date)
        if transition and longest:
            current = Period(longest[1], longest[0], "transition")
            notes.append(f"transition period of {round(current.days / 30.44)} months "
                         f"({current.label})")
        elif no_split and longest:
            current = Period(longest[1], longest[0], "other")
            notes.append(f"no fiscal-year duration ends at {report_date}; using the "
                         f"longest period that does ({current.label})")
    return current


def _quarter_and_ytd(durations: Counter, report_date: date, quarter: tuple[date, date] | None,
                     notes: list[str]) -> tuple[Period | None, Period | None]:
    """A quarterly report's quarter and year to date (the quarter itself in a first quarter)."""
    current = Period(quarter[1], quarter[0], "quarter") if quarter else None
    ytd = None
    longest = _longest_ending(durations, report_date, at_most=YEAR_DAYS[1])
    if longest and (current is None or longest[0] < current.start):
        ytd = Period(longest[1], longest[0], "YTD")
    elif current is not None:
        ytd = current  # first quarter: the quarter is the year to date
    if current is None and ytd is not None:
        notes.append(f"no quarter duration ends at {report_date}; only year to date "
                     f"({ytd.label})")
    return current, ytd
