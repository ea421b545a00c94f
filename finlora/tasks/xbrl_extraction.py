"""XBRL extraction: tag, value, formula construction and formula calculation over a filing.

Two sources of examples: FinLoRA's bundled files (`xbrl_tags`, `xbrl_value`, `xbrl_formula`),
and `XBRLExtraction.from_filing(filing)`, which builds questions with gold answers from any
filing loaded by `finlora.xbrl` — so users can finetune on their own filings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from finlora.errors import DataError
from finlora.tasks.base import Example, Split, Task
from finlora.tasks.data import bundled, examples_from_rows, load_split, read_jsonl
from finlora.tasks.parsing import evaluate_formula, match_tag, numbers_equal, parse_number

FILES = {"xbrl_tags": ("xbrl_xbrl_tags_test.jsonl.gz", "tag"),
         "xbrl_value": ("xbrl_value_test.jsonl.gz", "value"),
         "xbrl_formula": ("xbrl_formula_test.jsonl.gz", "calculation")}
KINDS = ("tag", "value", "formula", "calculation")
# period mentions in a value answer ("for FY 2022", "Q2 2024", "2024-06-30") are not the value
_PERIODS = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b(?:FY|Q[1-4]|fiscal(?: year)?|year|in|ending|ended"
                      r"|of|for)\s+(?:19|20)\d{2}\b(?!\s*(?:[,.]\d|thousand|million|billion))",
                      re.IGNORECASE)
_LEAD = re.compile(r"^(?:answer|formula|result)\s*:\s*", re.IGNORECASE)
_ARITHMETIC = re.compile(r"[-(\d][\d\s.,+\-*/()×÷]*")
_QNAME = re.compile(r"\b[a-z][a-z0-9-]*:[A-Z][A-Za-z0-9_]*")

# The key financial concepts: question label → concepts to look for, in order of preference.
KEY_CONCEPTS: dict[str, tuple[str, ...]] = {
    "Total Assets": ("Assets",),
    "Total Liabilities": ("Liabilities",),
    "Stockholders' Equity": ("StockholdersEquity",
                             "StockholdersEquityIncludingPortionAttributableToNoncontrollingInterest"),
    "Total Current Assets": ("AssetsCurrent",),
    "Total Current Liabilities": ("LiabilitiesCurrent",),
    "Cash and Cash Equivalents": ("CashAndCashEquivalentsAtCarryingValue",),
    "Revenue": ("Revenues", "RevenueFromContractWithCustomerExcludingAssessedTax",
                "SalesRevenueNet"),
    "Net Income": ("NetIncomeLoss", "ProfitLoss"),
    "Operating Income": ("OperatingIncomeLoss",),
    "Gross Profit": ("GrossProfit",),
    "Diluted Earnings Per Share": ("EarningsPerShareDiluted",),
    "Basic Earnings Per Share": ("EarningsPerShareBasic",),
    "Accounts Payable": ("AccountsPayableCurrent",),
    "Inventory": ("InventoryNet",),
}


@dataclass(frozen=True)
class Ratio:
    """A ratio over key concepts: `numerator` / `denominator` (× 100 for percentages)."""

    numerator: tuple[str, ...]  # summed
    denominator: str
    percent: bool = False


RATIOS: dict[str, Ratio] = {
    "current ratio": Ratio(("Total Current Assets",), "Total Current Liabilities"),
    "quick ratio": Ratio(("Cash and Cash Equivalents",), "Total Current Liabilities"),
    "equity multiplier": Ratio(("Total Assets",), "Stockholders' Equity"),
    "debt-to-equity ratio": Ratio(("Total Liabilities",), "Stockholders' Equity"),
    "gross margin": Ratio(("Gross Profit",), "Revenue", percent=True),
    "operating margin": Ratio(("Operating Income",), "Revenue", percent=True),
    "net profit margin": Ratio(("Net Income",), "Revenue", percent=True),
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


class XBRLExtraction(Task):
    """Questions over a filing's facts. The kind of each example is in `meta["kind"]`:
    `tag` (answer: a concept QName), `value` (a number), `formula` (an expression over
    concepts) or `calculation` (an expression over values, or its result)."""

    kind: ClassVar = "extraction"
    max_new_tokens: ClassVar[int] = 64  # longest gold answer: 41 tokens (SmolLM2 tokenizer)

    def __init__(self, variant: str = "xbrl_tags", data: str | Path | None = None) -> None:
        """`data`: a JSONL file written by `finlora dataset` (or any FinLoRA-format file) to use
        instead of the bundled test file; it is split 70/10/20 by a hash of the prompt."""
        if variant not in FILES:
            raise DataError(f"unknown XBRL extraction set {variant!r}: {sorted(FILES)}")
        self.name = variant
        self.default_kind = FILES[variant][1]
        self.data = data

    def load(self, split: Split = "test", limit: int | None = None) -> list[Example]:
        if self.data is not None:
            examples = load_split(self.data, split)
            if not examples:
                raise DataError(f"{self.data}: no examples in split {split!r}")
            return examples[:limit] if limit is not None else examples
        file = FILES[self.name][0]
        rows = examples_from_rows(read_jsonl(bundled(file)), file)
        rows = [Example(ex.prompt, ex.target, {**ex.meta, "kind": self.default_kind})
                for ex in rows]
        # FinLoRA's XBRL test sets cover a handful of filings each: they stay whole as test
        # sets (finlora trains XBRL extraction on questions built from filings instead).
        if split != "test":
            raise DataError(f"{self.name}: FinLoRA's XBRL extraction files are test sets only; "
                            "build training data from filings with `finlora dataset FILINGS "
                            "-o train.jsonl` (XBRLExtraction.from_filing)")
        return rows[:limit] if limit is not None else rows

    def _kind(self, example: Example | None) -> str:
        return (example.meta.get("kind") if example else None) or self.default_kind

    def candidates(self, example: Example) -> Sequence[str] | None:
        if self._kind(example) == "tag":
            facts_part = example.prompt.split("\nExample question:", 1)[0]
            return example.meta.get("candidates") or sorted(set(_QNAME.findall(facts_part)))
        return None

    def parse_answer(self, text: str, example: Example | None = None) -> str | None:
        """tag: the first word that is one of the prompt's concepts (else the first QName);
        value: the first number, period mentions skipped; formula: the first line with concepts
        written as QNames; calculation: the longest arithmetic run, evaluated."""
        kind = self._kind(example)
        text = _LEAD.sub("", text.strip())
        first = text.splitlines()[0].strip() if text else ""
        if kind == "tag":
            qnames = _QNAME.findall(text)
            allowed = self.candidates(example) if example is not None else None
            if not allowed:
                return qnames[0] if qnames else (first.split()[0] if first else None)
            for token in qnames + re.findall(r"[\w:-]+", text):
                matched = match_tag(token, allowed)
                if matched:
                    return matched
            # a well-formed QName outside the context is an answer (wrong), not a parse failure
            return qnames[0] if qnames else None
        if kind == "value":
            number = parse_number(_PERIODS.sub(" ", text))
            return str(number) if number is not None else None
        if kind == "formula":  # "Current ratio = A / B" or "A / B = 1.2": the side with tags
            concepts = list((example.meta.get("values") or {}) if example else {})
            sides = [_qualify(side.strip(), concepts) for side in first.split("=")]
            return next((side for side in sides if side), None)
        runs = _ARITHMETIC.findall(first.replace("$", "").replace("%", ""))
        longest = max(runs, key=lambda run: len(run.strip()), default="")  # first of equals
        value = evaluate_formula(longest) if longest.strip() else None
        if value is None and not re.search(r"\d\s*[-+*/×÷]\s*[\d(]", longest):
            value = parse_number(first)  # a lone number, maybe with a scale word
        return str(value) if value is not None else None

    def is_correct(self, answer: str | None, example: Example) -> bool:
        if answer is None:
            return False
        kind = self._kind(example)
        if kind == "tag":
            return answer.rpartition(":")[2] == example.target.rpartition(":")[2]
        if kind == "value":
            gold = parse_number(example.target)
            return gold is not None and Decimal(answer) == gold
        if kind == "formula":
            values = example.meta.get("values", {})
            return numbers_equal(_substitute(answer, values), _substitute(example.target, values))
        gold = evaluate_formula(example.target) if example.meta.get("result") is None else \
            Decimal(example.meta["result"])
        return numbers_equal(Decimal(answer), gold)

    def score(self, predictions: Sequence[str | None], examples: Sequence[Example]
              ) -> dict[str, Any]:
        per_kind: dict[str, list[bool]] = {}
        for answer, example in zip(predictions, examples, strict=True):
            per_kind.setdefault(self._kind(example), []).append(self.is_correct(answer, example))
        correct = [c for values in per_kind.values() for c in values]
        return {
            "n": len(examples),
            "accuracy": sum(correct) / len(correct) if correct else 0.0,
            "per_kind": {k: {"accuracy": sum(v) / len(v), "n": len(v)}
                         for k, v in per_kind.items()},
            "parse_failures": sum(p is None for p in predictions),
        }

    @classmethod
    def from_filing(cls, filing: Any, kinds: Sequence[str] = KINDS,
                    max_context_facts: int = 24) -> list[Example]:
        """Questions with gold answers from a `finlora.xbrl.Filing`: tag and value questions
        for the key concepts, formula and calculation questions for the ratios, each with a
        compact XBRL context of the period's facts. Gold values are the filing's own facts
        (cited by fact id in `meta`); ratios are computed exactly with `Decimal`."""
        unknown = set(kinds) - set(KINDS)
        if unknown:
            raise DataError(f"unknown question kinds {sorted(unknown)}: choose from {KINDS}")
        found = _key_facts(filing)
        if not found:
            raise DataError(f"{filing.path}: none of the key financial concepts is reported")
        company = filing.entity_name or "the company"
        examples: list[Example] = []
        for label, fact in found.items():
            context = _context(filing, fact, [fact], max_context_facts)
            period = _period_text(filing, fact)
            meta = {**_meta(filing, "tag", [fact], context), "label": label}
            if "tag" in kinds:
                question = (f"What is the US GAAP XBRL tag for {label} as reported by {company} "
                            f"for the {period}?")
                examples.append(Example(question_prompt(context, "tag", question), fact.concept, meta))
            if "value" in kinds:
                question = f"What is the value of {company}'s {label} for the {period}?"
                examples.append(Example(question_prompt(context, "value", question), str(fact.numeric),
                                        {**meta, "kind": "value", "unit": fact.unit}))
        for name, ratio in RATIOS.items():
            parts = [found.get(label) for label in (*ratio.numerator, ratio.denominator)]
            if any(p is None for p in parts) or parts[-1].numeric == 0:  # type: ignore[union-attr]
                continue
            facts = [p for p in parts if p is not None]
            *numerator, denominator = facts
            scale = " * 100" if ratio.percent else ""
            tags = " + ".join(f.concept for f in numerator)
            values = " + ".join(str(f.numeric) for f in numerator)
            wrap = (lambda s: f"({s})") if len(numerator) > 1 or ratio.percent else (lambda s: s)
            formula = f"{wrap(tags + ' / ' + denominator.concept)}{scale}"
            calculation = f"{wrap(values + ' / ' + str(denominator.numeric))}{scale}"
            result = evaluate_formula(calculation)
            context = _context(filing, facts[0], facts, max_context_facts)
            period = _period_text(filing, denominator)
            meta = {**_meta(filing, "formula", facts, context), "label": name}
            meta["values"] = {f.concept: str(f.numeric) for f in facts}
            meta["result"] = str(result)
            unit = " (in %)" if ratio.percent else ""
            if "formula" in kinds:
                question = (f"What is the formula for the {name}{unit} of {company}, formatted "
                            f"with the relevant US GAAP XBRL tags, for the {period}?")
                examples.append(Example(question_prompt(context, "formula", question), formula, meta))
            if "calculation" in kinds:
                question = (f"How much was {company}'s {name}{unit} for the {period}?  Answer "
                            "with a formula substituted with values.")
                examples.append(Example(question_prompt(context, "calculation", question), calculation,
                                        {**meta, "kind": "calculation"}))
        return examples


def _qualify(expression: str, concepts: Sequence[str]) -> str | None:
    """Write every concept of a formula as its QName (`AssetsCurrent` → `us-gaap:AssetsCurrent`);
    None when the formula names no concept at all."""
    found = False

    def qualify(match: re.Match[str]) -> str:
        nonlocal found
        concept = match_tag(match.group(0), concepts) if concepts else None
        if concept is None and ":" in match.group(0):
            concept = match.group(0)
        found = found or concept is not None
        return concept or match.group(0)

    qualified = re.sub(r"[A-Za-z][\w-]*(?::[A-Za-z][\w]*)?", qualify, expression)
    return qualified if found else None


def _substitute(expression: str, values: dict[str, str]) -> Decimal | None:
    def value_of(match: re.Match[str]) -> str:
        tag = match.group(0)
        for concept, value in values.items():
            if concept.rpartition(":")[2] == tag.rpartition(":")[2]:
                return value
        return "nan_unknown_tag"

    return evaluate_formula(_QNAME.sub(value_of, expression))


def _key_facts(filing: Any) -> dict[str, Any]:
    """Label → the filing's fact for each key concept at the report date (no dimensions;
    durations: the shortest period ending at the report date)."""
    end = filing.period_end
    found = {}
    for label, names in KEY_CONCEPTS.items():
        for name in names:
            facts = [f for f in filing.facts.query().concept(name).without_dimensions().numeric()
                     if (f.instant or f.period_end) == end or end is None]
            if facts:
                facts.sort(key=lambda f: (f.period_start or f.instant, f.id or ""), reverse=True)
                found[label] = facts[0]
                break
    return found


def _period_text(filing: Any, fact: Any) -> str:
    """FinLoRA's period phrase ("Fiscal Year ending in FY 2023"), with the exact end date."""
    end = (fact.instant or fact.period_end).isoformat()
    months = 0 if fact.instant else round((fact.period_end - fact.period_start).days / 30.44)
    year, focus = filing.fiscal_year_focus, filing.fiscal_period_focus
    annual = months == 12 or (months == 0 and focus == "FY")
    quarterly = months == 3 or (months == 0 and focus in ("Q1", "Q2", "Q3", "Q4"))
    if year and annual:
        return f"Fiscal Year ending in FY {year} ({end})"
    if year and quarterly and focus != "FY":
        return f"Fiscal Quarter ending in {focus} {year} ({end})"
    if months:
        return f"{months}-month period ending {end}"
    return f"period ending {end}"


def _context(filing: Any, anchor: Any, required: Sequence[Any], limit: int) -> list[Any]:
    """The required facts plus other non-dimensional numeric facts of the same period(s)."""
    periods = {(f.period_start, f.period_end, f.instant) for f in required}
    same = [f for f in filing.facts.query().without_dimensions().numeric()
            if (f.period_start, f.period_end, f.instant) in periods and f.prefix == "us-gaap"]
    chosen = {f.id: f for f in required}
    for fact in sorted(same, key=lambda f: f.concept):
        if len(chosen) >= limit:
            break
        chosen.setdefault(fact.id, fact)
    return sorted(chosen.values(), key=lambda f: f.concept)


def question_prompt(context: Sequence[Any], kind: str, question: str) -> str:
    """FinLoRA's XBRL extraction prompt layout: facts as `<concept >value</>` lines, its
    example question and answer for the kind, then the question."""
    lines = "".join(f"<{f.concept} >{f.value}</> \n" for f in context)
    example_question, example_answer = EXAMPLES[kind]
    return (f"{PREAMBLE} {lines}\n ```\n\n            \nExample question: {example_question}\n"
            f"Example answer: {example_answer}\n            \nQuestion: {question} \n"
            "            \nAnswer:")


def _meta(filing: Any, kind: str, facts: Sequence[Any], context: Sequence[Any]
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
