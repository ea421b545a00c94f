"""Grounded extraction: the rules give the facts, the model answers what rules cannot.

Key facts and ratios come from the financial-statement layer (`finlora.xbrl.financials`):
deterministic, exact and cited, for the report period it chooses. The finetuned model
- cross-checks each key fact (it answers the same tag question; a disagreement is a warning),
- resolves key lines the standard mapping cannot find, choosing among the facts of the right
  period (flagged as the model's choice, with its confidence),
- answers free `--ask` questions that name no standard line (a question that does name one,
  e.g. "What was total revenue?", is answered by the rules and cross-checked by the model).
Every record states its period kind and the accounting checks on its concepts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from finlora.errors import DataError
from finlora.infer.extraction_rules import (
    Citation,
    ExtractionRecord,
    checks_for,
    cite,
    line_record,
    match_line,
    ratio_records,
    summary,
)
from finlora.tasks import Example
from finlora.tasks.xbrl_questions import free_question_example, words
from finlora.xbrl.financials import BY_KEY, KEY_FACTS, RATIOS, financials, ratio_name

if TYPE_CHECKING:
    from finlora.infer.predictor import Predictor
    from finlora.infer.scoring import LabelScores
    from finlora.xbrl import Fact, Filing

__all__ = ["Citation", "ExtractionRecord", "ModelCheck", "cite", "extract", "facts_at",
           "question_candidates", "runners_up", "summary"]


class ModelCheck(BaseModel):
    """The model's answer to a question the rules also answered."""

    model_config = ConfigDict(frozen=True)

    concept: str                     # the model's choice
    probability: float               # its probability
    agrees: bool                     # the same concept as the rules
    rules_concept_probability: float  # the model's probability for the rules' concept


def runners_up(scores: LabelScores, n: int = 3) -> dict[str, float]:
    """The `n` most probable labels after the chosen one, with their probabilities."""
    ranked = sorted((pair for pair in zip(scores.labels, scores.probabilities, strict=True)
                     if pair[0] != scores.best), key=lambda pair: -pair[1])
    return {label: round(p, 6) for label, p in ranked[:n]}


def facts_at(filing: Filing, concept: str, period: str) -> list[Fact]:
    """The filing's non-dimensional numeric facts of `concept` for exactly `period`."""
    return [f for f in financials(filing).index.by_concept.get(concept, [])
            if not f.dimensions and f.period_label == period]


def question_candidates(filing: Filing, question: str) -> list[Fact]:
    """The facts offered for a free question (see `finlora.tasks.xbrl_questions`)."""
    from finlora.tasks.xbrl_questions import question_candidates as candidates

    return candidates(filing, question)


def _probability(scores: LabelScores, concept: str) -> float:
    for label, p in zip(scores.labels, scores.probabilities, strict=True):
        if label == concept:
            return p
    return 0.0


def _model_record(filing: Filing, name: str, example: Any, scores: LabelScores,
                  warning: str) -> ExtractionRecord:
    fin = financials(filing)
    concept = scores.best
    period = example.meta["candidate_periods"][concept]
    fact = facts_at(filing, concept, period)[0]
    found = checks_for(fin.checks(), [concept])
    warnings = [warning, *found.pop("warnings")]
    return ExtractionRecord(
        name=name, kind="fact", method="model", concept=concept, label=filing.label(concept),
        value=fact.numeric, unit=fact.unit, period=period, period_kind=fin.kind_of(fact),
        confidence=scores.confidence, alternatives=runners_up(scores), source=filing.path.name,
        citations=[cite(fact)], notes=fin.notes, warnings=warnings, **found)


def _with_model(record: ExtractionRecord, scores: LabelScores) -> ExtractionRecord:
    """A rules record with the model's cross-check attached (a warning if it disagrees)."""
    agrees = scores.best == record.concept
    check = ModelCheck(concept=scores.best, probability=round(scores.confidence, 6),
                       agrees=agrees,
                       rules_concept_probability=round(_probability(scores, str(record.concept)),
                                                       6))
    warnings = list(record.warnings)
    if not agrees:
        warnings.append(f"the model chose {scores.best} (p={scores.confidence:.2f}); the "
                        f"standard mapping gives {record.concept} — the rules' fact is kept")
    return record.model_copy(update={"model_check": check.model_dump(), "warnings": warnings,
                                     "alternatives": runners_up(scores)})


def _tag_questions(filing: Filing) -> dict[str, Any]:
    """Line key → the tag question `XBRLExtraction.from_filing` asks for it, with each offered
    concept's fact period (all of the line's own period)."""
    from finlora.tasks.xbrl_questions import build_examples

    try:
        examples = build_examples(filing, ("tag",))
    except DataError:
        return {}
    questions = {}
    for example in examples:
        if example.meta.get("free"):
            continue
        period = example.meta["periods"][0]
        offered = {c: period for c in example.meta["candidates"] if facts_at(filing, c, period)}
        questions[example.meta["line"]] = Example(example.prompt, example.target, {
            **example.meta, "candidate_periods": offered})
    return questions


def _resolve_question(filing: Filing, key: str) -> Example:
    """A free question for a line the standard mapping cannot find, offering only facts of
    the line's kind of period (balance-sheet instants, or the period's durations)."""
    example = free_question_example(filing, f"What was {BY_KEY[key].label.lower()}?")
    instant = BY_KEY[key].instant
    kinds = example.meta["candidate_kinds"]
    offered = {c: p for c, p in example.meta["candidate_periods"].items()
               if (kinds[c] == "instant") == instant}
    return Example(example.prompt, example.target, {**example.meta,
                                                    "candidate_periods": offered})


def extract(predictor: Predictor | None, filing: Filing, questions: Sequence[str] | None = None,
            *, adapter: str | None = None) -> list[ExtractionRecord]:
    """Records for the key lines and ratios of `filing` (or for the given questions / ratio
    names). With `predictor=None` only the rules run (no model: no cross-checks, unmapped
    lines and free questions are reported as unresolved)."""
    fin = financials(filing)
    checks = fin.checks()
    asked = [q.strip() for q in questions or [] if q.strip()]
    ratios: list[str] = []
    lines: list[tuple[str, str]] = []   # (record name, standard key)
    free: list[str] = []
    for question in asked:
        try:
            ratios.append(ratio_name(question))
            continue
        except DataError:  # not a ratio name: a question
            pass
        key = match_line(question, words)
        (lines.append((question, key)) if key else free.append(question))
    if not asked:
        ratios = list(RATIOS)
        lines = [(BY_KEY[k].label, k) for k in KEY_FACTS]

    rules: dict[str, ExtractionRecord | None] = {
        name: line_record(fin, name, key, checks) for name, key in lines}
    jobs: list[tuple[str, str, Any]] = []  # (name, role, example)
    tag_questions = _tag_questions(filing) if predictor is not None else {}
    for name, key in lines if predictor is not None else []:
        record = rules[name]
        if record is not None and record.concept == "derived":
            continue
        example = tag_questions.get(key) if record is not None else _resolve_question(
            filing, key)
        if example is not None and example.meta.get("candidate_periods"):
            jobs.append((name, "check" if record is not None else "resolve", example))
    for question in free if predictor is not None else []:
        jobs.append((question, "free", free_question_example(filing, question)))

    scored: list[Any] = []
    if predictor is not None and jobs:
        scored = predictor.score_labels([ex.prompt for _, _, ex in jobs],
                                        [list(ex.meta["candidate_periods"]) for _, _, ex in jobs],
                                        adapter=adapter, normalization="sum")
    by_name = {name: (ex, s) for (name, _, ex), s in zip(jobs, scored, strict=False)}

    records: list[ExtractionRecord] = []
    for name, key in lines:
        record = rules[name]
        example, scores = by_name.get(name, (None, None))
        if record is not None:
            records.append(_with_model(record, scores) if scores is not None else record)
        elif scores is not None:
            records.append(_model_record(filing, name, example, scores, (
                f"{BY_KEY[key].label} is not found by the standard mapping "
                f"({fin.missing.get(key, 'not reported')}): the model's choice among the "
                "period's facts, unverified")))
        else:
            records.append(ExtractionRecord.unresolved(name, filing.path.name,
                                                       fin.missing.get(key, "not reported")))
    for question in free:
        example, scores = by_name.get(question, (None, None))
        if scores is None:
            records.append(ExtractionRecord.unresolved(question, filing.path.name,
                                                       "no model to answer a free question"))
            continue
        records.append(_model_record(filing, question, example, scores,
                                     "a free question: answered by the model, not the rules"))
    records += ratio_records(fin, ratios, checks, filing.path.name)
    return records


