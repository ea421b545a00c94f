"""Grounded extraction: the model picks the concept, the filing supplies the value.

For each key financial concept (total assets, revenue, net income, EPS, ...) the question is an
XBRL tag question built by `XBRLExtraction.from_filing` over the filing's own facts of the
period; the model chooses the concept among the filing's concepts by label scoring, and the
record takes its value, unit, period and context from the filing's fact of that concept. Ratios
(current ratio, margins, ...) are computed exactly with `Decimal` from the chosen facts. Every
record cites the fact(s) it comes from and carries the model's confidence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from decimal import Decimal, localcontext
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict

from finlora.errors import DataError
from finlora.tasks import Example, XBRLExtraction
from finlora.tasks.xbrl_extraction import RATIOS, question_prompt

if TYPE_CHECKING:
    from finlora.infer.predictor import Predictor
    from finlora.infer.scoring import LabelScores
    from finlora.xbrl import Fact, Filing

MAX_CANDIDATES = 24  # concepts offered to the model for one free question
_WORD = re.compile(r"[a-z]+")


class Citation(BaseModel):
    """The filing fact a record's value comes from."""

    model_config = ConfigDict(frozen=True)

    concept: str
    period: str
    context_id: str
    fact_id: str | None
    value: str
    unit: str | None


class ExtractionRecord(BaseModel):
    """One extracted figure: a fact chosen by the model, or a ratio computed from such facts."""

    model_config = ConfigDict(frozen=True)

    name: str                       # the key concept, ratio or question asked
    kind: Literal["fact", "ratio"]
    concept: str | None             # the chosen concept (facts only)
    label: str | None               # its label in the filing
    value: Decimal                  # the fact's value, or the ratio computed exactly
    unit: str | None                # e.g. USD, USD/shares; "pure" or "%" for ratios
    period: str                     # 2024-06-30, or 2024-04-01..2024-06-30
    dimensions: dict[str, str] = {}
    formula: str | None = None      # ratios: over concepts, e.g. us-gaap:A / us-gaap:B
    calculation: str | None = None  # ratios: the same over the reported values
    confidence: float               # the model's probability for its choice(s)
    alternatives: dict[str, float] = {}  # the next most likely concepts and their probability
    source: str                     # the filing file
    citations: list[Citation]

    def flat(self) -> dict[str, Any]:
        """A flat row for CSV / Parquet: nested fields as JSON text, value as text."""
        row = self.model_dump(mode="json")
        for key in ("dimensions", "alternatives", "citations"):
            row[key] = json.dumps(row[key])
        return row


def runners_up(scores: LabelScores, n: int = 3) -> dict[str, float]:
    """The `n` most probable labels after the chosen one, with their probabilities."""
    ranked = sorted((pair for pair in zip(scores.labels, scores.probabilities, strict=True)
                     if pair[0] != scores.best), key=lambda pair: -pair[1])
    return {label: round(p, 6) for label, p in ranked[:n]}


def cite(fact: Fact) -> Citation:
    return Citation(concept=fact.concept, period=fact.period_label, context_id=fact.context_id,
                    fact_id=fact.id, value=fact.value, unit=fact.unit)


def facts_at(filing: Filing, concept: str, period: str) -> list[Fact]:
    """The filing's non-dimensional numeric facts of `concept` for exactly `period`."""
    return [f for f in filing.facts.query().concept(concept).without_dimensions().numeric()
            if f.period_label == period]


def _fact_record(filing: Filing, name: str, period: str, scores: LabelScores
                 ) -> ExtractionRecord:
    concept = scores.best
    fact = facts_at(filing, concept, period)[0]
    return ExtractionRecord(
        name=name, kind="fact", concept=concept, label=filing.label(concept),
        value=fact.numeric, unit=fact.unit, period=period, dimensions=dict(fact.dimensions),
        confidence=scores.confidence,
        alternatives=runners_up(scores),
        source=filing.path.name, citations=[cite(fact)],
    )


def ratio_record(name: str, parts: dict[str, ExtractionRecord], source: str
                 ) -> ExtractionRecord | None:
    """A ratio computed exactly from already extracted records; None when a part is missing
    or the denominator is zero."""
    ratio = RATIOS[name]
    numerator = [parts.get(label) for label in ratio.numerator]
    denominator = parts.get(ratio.denominator)
    if denominator is None or any(p is None for p in numerator) or denominator.value == 0:
        return None
    numerator_records = [p for p in numerator if p is not None]
    with localcontext() as ctx:
        ctx.prec = 28
        value = sum((p.value for p in numerator_records), Decimal(0)) / denominator.value
        if ratio.percent:
            value *= 100
    scale = " * 100" if ratio.percent else ""
    tags = " + ".join(str(p.concept) for p in numerator_records)
    values = " + ".join(str(p.value) for p in numerator_records)
    wrap = len(numerator_records) > 1 or ratio.percent
    formula = f"{tags} / {denominator.concept}"
    calculation = f"{values} / {denominator.value}"
    if wrap:
        formula, calculation = f"({formula})", f"({calculation})"
    confidence = denominator.confidence
    for p in numerator_records:
        confidence *= p.confidence
    return ExtractionRecord(
        name=name, kind="ratio", concept=None, label=name, value=value,
        unit="%" if ratio.percent else "pure", period=denominator.period,
        formula=formula + scale, calculation=calculation + scale, confidence=confidence,
        source=source,
        citations=[c for p in (*numerator_records, denominator) for c in p.citations],
    )


def _words(text: str) -> set[str]:
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)
    return set(_WORD.findall(spaced.lower()))


def question_candidates(filing: Filing, question: str, limit: int = MAX_CANDIDATES
                        ) -> list[Fact]:
    """The facts to offer for a free question: the filing's non-dimensional numeric facts of the
    report period (instants at its end, the shortest durations ending then), one per concept,
    the `limit` whose label and name share the most words with the question."""
    end = filing.period_end
    best: dict[str, Fact] = {}
    for fact in filing.facts.query().without_dimensions().numeric():
        if end is not None and (fact.instant or fact.period_end) != end:
            continue
        held = best.get(fact.concept)
        if held is None or (fact.period_start or fact.instant) > (held.period_start or held.instant):
            best[fact.concept] = fact
    wanted = _words(question)

    def overlap(fact: Fact) -> int:
        return len(wanted & (_words(filing.label(fact.concept)) | _words(fact.name)))

    ranked = sorted(best.values(), key=lambda f: (-overlap(f), f.concept))
    return sorted(ranked[:limit], key=lambda f: f.concept)


def question_example(filing: Filing, question: str) -> Example:
    """A tag question over the facts `question_candidates` offers, in the task's prompt layout."""
    context = question_candidates(filing, question)
    if not context:
        raise DataError(f"{filing.path}: no numeric facts for the report period to answer "
                        f"{question!r}")
    prompt = question_prompt(context, "tag", question)
    return Example(prompt, "", {"kind": "tag", "candidates": [f.concept for f in context],
                                "candidate_periods": {f.concept: f.period_label for f in context}})


def extract(predictor: Predictor, filing: Filing, questions: Sequence[str] | None = None, *,
            adapter: str | None = None) -> list[ExtractionRecord]:
    """Records for the key concepts and ratios of `filing` (or for the given questions)."""
    asked = list(questions or [])
    ratio_names = {name.lower(): name for name in RATIOS}
    wanted_ratios = [ratio_names[q.strip().lower()] for q in asked
                     if q.strip().lower() in ratio_names]
    free = [q for q in asked if q.strip().lower() not in ratio_names]
    needed_labels = {label for name in wanted_ratios
                     for label in (*RATIOS[name].numerator, RATIOS[name].denominator)}

    key_examples: list[tuple[str, Example]] = []
    if not asked or wanted_ratios:
        for example in XBRLExtraction.from_filing(filing, kinds=("tag",)):
            label = example.meta["label"]
            if not asked or label in needed_labels:
                key_examples.append((label, example))
    free_examples = [(q, question_example(filing, q)) for q in free]

    jobs = [*key_examples, *free_examples]
    periods: list[dict[str, str]] = []  # per question: candidate concept -> period
    for _, example in jobs:
        given = example.meta.get("candidate_periods") or {
            c: example.meta["periods"][0] for c in example.meta["candidates"]}
        periods.append({c: p for c, p in given.items() if facts_at(filing, c, p)})
    # Concepts are long identifiers: choose by whole probability, not per-token mean (which
    # favours the longest name, its tail copied from the prompt).
    scored = predictor.score_labels([ex.prompt for _, ex in jobs], [list(p) for p in periods],
                                    adapter=adapter, normalization="sum") if jobs else []

    found: dict[str, ExtractionRecord] = {}
    records: list[ExtractionRecord] = []
    for (name, _), period_of, scores in zip(jobs, periods, scored, strict=True):
        record = _fact_record(filing, name, period_of[scores.best], scores)
        found.setdefault(name, record)
        if not asked or name in free:
            records.append(record)
    for name in (wanted_ratios if asked else list(RATIOS)):
        ratio = ratio_record(name, found, filing.path.name)
        if ratio is not None:
            records.append(ratio)
    return records
