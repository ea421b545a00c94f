"""Questions with gold answers built from a filing through `finlora.xbrl.financials`: the
right period (fiscal year of a 10-K even when it reports quarters; the quarter of a 10-Q, year
to date where only that is reported), the standard lines and FinLoRA's ratio definitions.

Used by `XBRLExtraction.from_filing` (training data, `finlora dataset`) and by
`finlora.infer.extraction` (the model's questions), so both see the same facts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from finlora.errors import DataError
from finlora.tasks.base import Example
from finlora.xbrl.financials import BY_KEY, FREE_LINES, KEY_FACTS, RATIOS, financials

KINDS = ("tag", "value", "formula", "calculation")
MAX_CANDIDATES = 24  # concepts offered to the model for one free question
_WORD = re.compile(r"[a-z]+")
# a free question per line, as a user would ask it (`finlora extract --ask`)
FREE_QUESTIONS = {
    "rnd": "What was research and development expense?",
    "income_tax": "What was the income tax expense?",
    "operating_cash_flow": "What was net cash provided by operating activities?",
    "capex": "What were capital expenditures (purchases of property and equipment)?",
    "sga": "What was selling, general and administrative expense?",
    "interest_expense": "What was interest expense?",
    "revenue": "What was total revenue?",
    "net_income": "What was net income?",
    "total_assets": "What were total assets?",
}

PREAMBLE = ('"You are a knowledgeable XBRL assistant that can answer questions based on XML '
            "data. \n             You will be provided with a context extracted from an XBRL "
            "file and a question related to it. The example question can help you to learn the "
            "format of the answer.\n             Your task is to analyze the XBRL context and "
            "provide an accurate and very concise answer to the question, DO NOT output xml, "
            "code, explanation or create new question.\n            \nXBRL file:\n ```xml\n")


# FinLoRA's example question and answer per kind (tag, value and calculation verbatim from its
# test files; FinLoRA's files have no tag-formula kind, so that one follows its templates).
EXAMPLES = {
    "tag": ("What is the US GAAP XBRL tag for Cash and Cash Equivalents as reported by Example "
            "Company Inc for the Fiscal Year ending in FY 2022", "us-gaap:AnExampleTagName"),
    "value": ("What is the value of Exapmle company's income for the Fiscal year ending in FY "
              "2020?", "2540000000"),
    "formula": ("What is the formula for the Operating Profit Margin of Example Corp, formatted "
                "with the relevant US GAAP XBRL tags, for the Fiscal Year ending in FY 2022?",
                "(us-gaap:OperatingIncomeLoss / us-gaap:Revenues) * 100"),
    "calculation": ("Can you provide the formula for Operating Profit Margin from Example Corp "
                    "for the Fiscal Year ending in FY 2022?", "(50000000 / 3590000000) * 100"),
}




def question_prompt(context: Sequence[Any], kind: str, question: str) -> str:
    """FinLoRA's XBRL extraction prompt layout: facts as `<concept >value</>` lines, its
    example question and answer for the kind, then the question."""
    lines = "".join(f"<{f.concept} >{f.value}</> \n" for f in context)
    example_question, example_answer = EXAMPLES[kind]
    return (f"{PREAMBLE} {lines}\n ```\n\n            \nExample question: {example_question}\n"
            f"Example answer: {example_answer}\n            \nQuestion: {question} \n"
            "            \nAnswer:")


def period_text(filing: Any, fact: Any, kind: str) -> str:
    """FinLoRA's period phrase ("Fiscal Year ending in FY 2023"), with the exact end date and
    the period kind the layer gave the fact (FY, quarter, YTD, instant)."""
    fin = financials(filing)
    end = (fact.instant or fact.period_end).isoformat()
    year, focus = fin.periods.fiscal_year_focus, fin.periods.fiscal_period_focus
    if year is None and fin.periods.report_date is not None:
        year = fin.periods.report_date.year
    if kind == "FY" or (kind == "instant" and fin.periods.annual):
        return f"Fiscal Year ending in FY {year} ({end})"
    if kind == "quarter" or (kind == "instant" and not fin.periods.annual):
        quarter = focus if focus and focus.startswith("Q") else "the quarter"
        return f"Fiscal Quarter ending in {quarter} {year} ({end})"
    months = round((fact.period_end - fact.period_start).days / 30.44) if fact.period_start else 0
    if kind == "YTD":
        return f"{months}-month period (year to date) ending {end}"
    return f"{months}-month period ending {end}" if months else f"period ending {end}"


def context_facts(filing: Any, required: Sequence[Any], limit: int) -> list[Any]:
    """The required facts plus other consolidated US-GAAP numeric facts of the same periods."""
    periods = {(f.period_start, f.period_end, f.instant) for f in required}
    same = [f for f in filing.facts.query().without_dimensions().numeric()
            if (f.period_start, f.period_end, f.instant) in periods and f.prefix == "us-gaap"]
    chosen = {id(f): f for f in required}
    for fact in sorted(same, key=lambda f: f.concept):
        if len(chosen) >= limit:
            break
        if all(f.concept != fact.concept or f.period_label != fact.period_label
               for f in chosen.values()):
            chosen.setdefault(id(fact), fact)
    return sorted(chosen.values(), key=lambda f: f.concept)


def meta(filing: Any, kind: str, facts: Sequence[Any], context: Sequence[Any]
         ) -> dict[str, Any]:
    return {
        "kind": kind,
        "filing": filing.entity_name,
        "source": str(filing.path.name),
        "concepts": [f.concept for f in facts],
        "fact_ids": [f.id for f in facts],
        "context_ids": [f.context_id for f in facts],
        "periods": [f.period_label for f in facts],
        "candidates": sorted({f.concept for f in context}),
    }


def words(text: str) -> set[str]:
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", text)
    return {w.removesuffix("s") for w in _WORD.findall(spaced.lower()) if len(w) > 2}


def question_candidates(filing: Any, question: str, limit: int = MAX_CANDIDATES) -> list[Any]:
    """The facts to offer for a free question: one consolidated fact per concept of the report
    period (`Financials.period_facts`: instants at the report date, the fiscal year or quarter,
    year to date where only that exists), the `limit` whose label and name share the most
    words with the question."""
    wanted = words(question)

    def overlap(fact: Any) -> int:
        return len(wanted & (words(filing.label(fact.concept)) | words(fact.name)))

    ranked = sorted(financials(filing).period_facts(), key=lambda f: (-overlap(f), f.concept))
    return sorted(ranked[:limit], key=lambda f: f.concept)


def free_question_example(filing: Any, question: str, target: str = "") -> Example:
    """A tag question over the facts `question_candidates` offers, in the task's layout."""
    context = question_candidates(filing, question)
    if not context:
        raise DataError(f"{filing.path}: no numeric facts for the report period to answer "
                        f"{question!r}")
    fin = financials(filing)
    return Example(question_prompt(context, "tag", question), target, {
        "kind": "tag", "free": True, "candidates": [f.concept for f in context],
        "candidate_periods": {f.concept: f.period_label for f in context},
        "candidate_kinds": {f.concept: fin.kind_of(f) for f in context}})


def line_examples(filing: Any, kinds: Sequence[str], limit: int) -> list[Example]:
    """Tag and value questions for the key lines and the free lines; free questions too."""
    fin = financials(filing)
    company = filing.entity_name or "the company"
    examples: list[Example] = []
    for key in (*KEY_FACTS, *FREE_LINES):
        line = fin.get(key)
        if line is None or line.fact is None or line.source not in ("standard", "extension"):
            continue
        fact, label = line.fact, BY_KEY[key].label
        context = context_facts(filing, [fact], limit)
        period = period_text(filing, fact, line.period_kind)
        info = {**meta(filing, "tag", [fact], context), "label": label, "line": key,
                "period_kind": line.period_kind}
        if "tag" in kinds:
            question = (f"What is the US GAAP XBRL tag for {label} as reported by {company} "
                        f"for the {period}?")
            examples.append(Example(question_prompt(context, "tag", question), fact.concept, info))
            if key in FREE_QUESTIONS:
                free = free_question_example(filing, FREE_QUESTIONS[key], fact.concept)
                if fact.concept in free.meta["candidates"]:
                    examples.append(Example(free.prompt, free.target, {**info, **free.meta,
                                                                       "kind": "tag"}))
        if "value" in kinds:
            question = f"What is the value of {company}'s {label} for the {period}?"
            examples.append(Example(question_prompt(context, "value", question),
                                    str(fact.numeric), {**info, "kind": "value",
                                                        "unit": fact.unit}))
    return examples


def ratio_examples(filing: Any, kinds: Sequence[str], limit: int) -> list[Example]:
    """Formula and calculation questions for FinLoRA's ratios the filing supports."""
    fin = financials(filing)
    company = filing.entity_name or "the company"
    examples: list[Example] = []
    for name in RATIOS:
        ratio = fin.ratio(name)
        facts = [part.fact for part in ratio.parts.values()]
        if not ratio.ok or any(f is None for f in facts) or \
                any(p.source != "standard" for p in ratio.parts.values()):
            continue
        context = context_facts(filing, facts, limit)
        denominator = ratio.parts[RATIOS[name].denominator]
        period = period_text(filing, denominator.fact, denominator.period_kind)
        info = {**meta(filing, "formula", facts, context), "label": name,
                "values": {f.concept: str(f.numeric) for f in facts},
                "result": str(ratio.value), "period_kind": ratio.period_kind}
        unit = " (in %)" if RATIOS[name].percent else ""
        if "formula" in kinds:
            question = (f"What is the formula for the {name}{unit} of {company}, formatted "
                        f"with the relevant US GAAP XBRL tags, for the {period}?")
            examples.append(Example(question_prompt(context, "formula", question),
                                    str(ratio.formula), info))
        if "calculation" in kinds:
            question = (f"How much was {company}'s {name}{unit} for the {period}?  Answer "
                        "with a formula substituted with values.")
            examples.append(Example(question_prompt(context, "calculation", question),
                                    str(ratio.calculation), {**info, "kind": "calculation"}))
    return examples


def build_examples(filing: Any, kinds: Sequence[str] = KINDS, limit: int = 24) -> list[Example]:
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise DataError(f"unknown question kinds {sorted(unknown)}: choose from {KINDS}")
    examples = line_examples(filing, kinds, limit)
    if not examples and not financials(filing).key_facts():
        raise DataError(f"{filing.path}: none of the key financial concepts is reported")
    return examples + ratio_examples(filing, kinds, limit)
