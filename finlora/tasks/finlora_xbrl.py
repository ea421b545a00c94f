"""FinLoRA's XBRL extraction sets answered the grounded way.

A FinLoRA `xbrl_tags` / `xbrl_value` / `xbrl_formula` prompt holds an XBRL snippet
(`<us-gaap:Assets xmlns:us- >85501000000</>` lines), an example, and one question. Generating a
value or a formula out of 6k tokens of raw XBRL is beyond a small model; choosing a concept is
not. So, grounded:

- tag: the model chooses among the snippet's concepts (label scoring);
- value: the question is asked as a tag question ("What is the US GAAP XBRL tag for Retained
  Earnings ..."), the model chooses the concept, and the value is the concept's first value in
  the snippet (FinLoRA's gold is always the first);
- formula: the question's ratio names a formula over roles (quick ratio = (current assets -
  inventory) / current liabilities); the model chooses one concept per role, their values are
  substituted, and the task's parser computes the result exactly (Decimal).

Where the snippet has one of the asked line item's standard us-gaap tags
(`finlora_xbrl_questions.LABELS`, e.g. "Total Assets" → Assets, never AssetsCurrent), the first
of them in the map's order of preference is the answer and needs no model; otherwise the model
chooses among all the snippet's concepts. `standard_tags=False` offers every concept (the model
alone chooses).

A prompt that is not FinLoRA-shaped (no snippet, an unknown question or ratio) is answered by
free generation. `grounded=False` gives free generation everywhere (the number to report beside
the grounded one).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

from finlora.tasks.answers import AnswerSpace, Choice, FreeText, Grounded, Labels
from finlora.tasks.base import Example
from finlora.tasks.finlora_xbrl_questions import asked_label, standard_tags
from finlora.tasks.xbrl_extraction import EXAMPLES, XBRLExtraction

FACT = re.compile(r"<([a-z][\w-]*:[A-Za-z][\w]*)[^>]*>([^<]*)</>")
_EXAMPLE = "\nExample question:"
_QUESTION = "\nQuestion: "
# FinLoRA's five phrasings of a value (or ratio) question
_ASKS = [re.compile(p) for p in (
    r"^What is the value of (?P<company>.+?)'s (?P<label>.+?) for the (?P<period>.+?)\?",
    r"^How much was (?P<company>.+?)'s (?P<label>.+?) for the (?P<period>.+?)\?",
    r"^Can you provide the value for (?P<label>.+?) from (?P<company>.+?) for the "
    r"(?P<period>.+?)\?",
    r"^What was the reported value of (?P<label>.+?) for (?P<company>.+?) at the end of the "
    r"(?P<period>.+?)\?",
    r"^Please find the Fiscal Year value of (?P<label>.+?) for (?P<company>.+?) for "
    r"(?P<period>FY \d{4})\.",
)]
# ratio → formula over roles; each role is asked as a tag question with FinLoRA's own labels
RATIO_FORMULAS: dict[str, str] = {
    "current ratio": "{Current Assets} / {Current Liabilities}",
    "quick ratio": "({Current Assets} - {Inventory}) / {Current Liabilities}",
    "equity multiplier": "{Total Assets} / {Total Equity}",
    "net profit margin": "({Net Income} / {Total Revenue}) * 100",
    "gross profit margin": "({Gross Profit} / {Total Revenue}) * 100",
    "operating profit margin": "({Operating Income} / {Total Revenue}) * 100",
    "cash flow margin": "({Cash Flow for Operating Activities} / {Total Revenue}) * 100",
}
_ROLE = re.compile(r"\{([^}]+)\}")


def snippet_facts(prompt: str) -> list[tuple[str, str]]:
    """(concept QName, value text) for each fact line of the prompt's XBRL snippet, in order."""
    return [(c, v.strip()) for c, v in FACT.findall(prompt.split(_EXAMPLE, 1)[0])]


def first_values(prompt: str) -> dict[str, str]:
    """Each concept's first numeric value in the snippet (concepts in snippet order)."""
    values: dict[str, str] = {}
    for concept, text in snippet_facts(prompt):
        if concept not in values and _is_number(text):
            values[concept] = text
    return values


def question_of(prompt: str) -> str | None:
    """The prompt's question line, or None when the prompt has none."""
    if _QUESTION not in prompt:
        return None
    return prompt.rsplit(_QUESTION, 1)[1].split("\n", 1)[0].strip()


def parse_question(question: str) -> dict[str, str] | None:
    """{"company", "label", "period"} of a FinLoRA value / ratio question, or None."""
    for pattern in _ASKS:
        match = pattern.match(question)
        if match:
            return {k: v.strip() for k, v in match.groupdict().items()}
    return None


def tag_question_prompt(prompt: str, label: str, company: str, period: str) -> str:
    """The same snippet, with FinLoRA's tag example and a tag question for `label`."""
    facts = prompt.split(_EXAMPLE, 1)[0]
    example_question, example_answer = EXAMPLES["tag"]
    return (f"{facts}{_EXAMPLE} {example_question}\nExample answer: {example_answer}\n"
            f"            \nQuestion: What is the US GAAP XBRL tag for {label} as reported by "
            f"{company} for the {period}? \n            \nAnswer:")


def grounded_space(prompt: str, kind: str, standard: bool = True) -> AnswerSpace | None:
    """The grounded answer space of a FinLoRA-shaped prompt of `kind` (tag / value /
    calculation), or None when the prompt is not one; `standard`: a line item's standard tag
    answers where the snippet has one (module doc)."""
    values = first_values(prompt)
    question = question_of(prompt)
    if not values or question is None:
        return None

    def among(label: str | None, concepts: tuple[str, ...]) -> tuple[str, ...]:
        return standard_tags(label, concepts) if standard and label else concepts

    if kind == "tag":
        concepts = tuple(dict.fromkeys(c for c, _ in snippet_facts(prompt)))
        return Labels(among(asked_label(question), concepts), "sum")
    asked = parse_question(question)
    if asked is None:
        return None
    concepts = tuple(values)
    if kind == "value":
        choice = Choice(tag_question_prompt(prompt, asked["label"], asked["company"],
                                            asked["period"]), among(asked["label"], concepts))
        return Grounded((choice,), lambda picked: values.get(picked[0]))
    if kind != "calculation":
        return None
    template = RATIO_FORMULAS.get(asked["label"].lower())
    if template is None:
        return None
    roles = list(dict.fromkeys(_ROLE.findall(template)))
    choices = tuple(Choice(tag_question_prompt(prompt, role, asked["company"], asked["period"]),
                           among(role, concepts)) for role in roles)

    def substitute(picked: tuple[str, ...]) -> str:
        chosen = dict(zip(roles, picked, strict=True))
        return _ROLE.sub(lambda m: values[chosen[m.group(1)]], template)

    return Grounded(choices, substitute)


class FinLoRAXBRL(XBRLExtraction):
    """FinLoRA's XBRL extraction sets, answered grounded by default (see the module doc)."""

    def __init__(self, variant: str = "xbrl_tags", data: str | Path | None = None,
                 grounded: bool = True, standard_tags: bool = True) -> None:
        super().__init__(variant, data)
        self.grounded = grounded
        self.standard_tags = standard_tags

    def answer_space(self, example: Example) -> AnswerSpace:
        if not self.grounded:
            if self._kind(example) == "tag":
                return super().answer_space(example)  # tags were always label-scored
            return FreeText(self.max_new_tokens)
        space = grounded_space(example.prompt, self._kind(example), self.standard_tags)
        return space if space is not None else super().answer_space(example)


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return bool(text)
