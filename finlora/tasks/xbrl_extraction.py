"""XBRL extraction: tag, value, formula construction and formula calculation over a filing.

Two sources of examples: FinLoRA's bundled files (`xbrl_tags`, `xbrl_value`, `xbrl_formula`),
and `XBRLExtraction.from_filing(filing)`, which builds questions with gold answers from any
filing loaded by `finlora.xbrl` — so users can finetune on their own filings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

from finlora.errors import DataError
from finlora.tasks.base import Example, Split, Task
from finlora.tasks.datafiles import bundled, examples_from_rows, load_split, read_jsonl
from finlora.tasks.parsing import evaluate_formula, match_tag, numbers_equal, parse_number
from finlora.tasks.xbrl_questions import (  # noqa: F401 - re-exported
    EXAMPLES,
    KINDS,
    PREAMBLE,
    build_examples,
    question_prompt,
)
from finlora.xbrl.financials import BY_KEY, KEY_FACTS

FILES = {"xbrl_tags": ("xbrl_xbrl_tags_test.jsonl.gz", "tag"),
         "xbrl_value": ("xbrl_value_test.jsonl.gz", "value"),
         "xbrl_formula": ("xbrl_formula_test.jsonl.gz", "calculation")}
# period mentions in a value answer ("for FY 2022", "Q2 2024", "2024-06-30") are not the value
_PERIODS = re.compile(r"\b\d{4}-\d{2}-\d{2}\b|\b(?:FY|Q[1-4]|fiscal(?: year)?|year|in|ending|ended"
                      r"|of|for)\s+(?:19|20)\d{2}\b(?!\s*(?:[,.]\d|thousand|million|billion))",
                      re.IGNORECASE)
_LEAD = re.compile(r"^(?:answer|formula|result)\s*:\s*", re.IGNORECASE)
_ARITHMETIC = re.compile(r"[-(\d][\d\s.,+\-*/()×÷]*")
_QNAME = re.compile(r"\b[a-z][a-z0-9-]*:[A-Z][A-Za-z0-9_]*")

# The key financial concepts: question label → US-GAAP tags in order of preference (from the
# financial-statement layer, `finlora.xbrl.financials`, which is where they are defined).
KEY_CONCEPTS: dict[str, tuple[str, ...]] = {BY_KEY[k].label: BY_KEY[k].candidates
                                            for k in KEY_FACTS}


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
            # free questions ("What was interest expense?") are tag questions, scored apart
            kind = self._kind(example) + ("-free" if example.meta.get("free") else "")
            per_kind.setdefault(kind, []).append(self.is_correct(answer, example))
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
        """Questions with gold answers from a `finlora.xbrl.Filing`, built through the
        financial-statement layer (`finlora.xbrl.financials`): tag and value questions for the
        key lines and for free lines (R&D, income tax, operating cash flow, capex, SG&A,
        interest expense), each for the report period the layer chooses (fiscal year of a
        10-K, quarter of a 10-Q, year to date where only that exists), plus the same lines
        asked as free questions over the period's facts; formula and calculation questions for
        FinLoRA's ratios. Gold values are the filing's own facts (cited by fact id in `meta`);
        ratios are computed exactly with `Decimal`."""
        return build_examples(filing, kinds, max_context_facts)


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
