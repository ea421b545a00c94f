"""XBRL tagging: numerals in financial sentences → US-GAAP tags (FiNER-139 and FNXL formats),
and FiNER-style examples built from an inline XBRL filing."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from finlora.errors import DataError
from finlora.tasks.answers import LabelLists
from finlora.tasks.base import Example, Split, Task
from finlora.tasks.datafiles import bundled, examples_from_rows, read_jsonl, split_of
from finlora.tasks.dedup import linked_groups
from finlora.tasks.metrics import UNPARSED, classification_report
from finlora.tasks.parsing import match_tag
from finlora.tasks.tag_retrieval import TagRetriever

FILES = {"finer": "finer_test_batched.jsonl.gz", "fnxl": "fnxl_test_batched.jsonl.gz"}
_FINER_QUESTION = re.compile(r'What is best tag for entity "([^"]*)" in sentence: "')
_FNXL_QUESTION = re.compile(r'What is the best us gaap tag for entity "([^"]*)" in sentence: "')
# Retrieval settings, chosen on the dev split's recall@10 (scripts/tag_retrieval_recall.py,
# docs/results.md): the query is the 20 words either side of the numeral; FiNER's tags are
# ranked by their label words plus the words of the train sentences they tag, FNXL's (587
# tags, 21 train prompts) by their label words alone.
RETRIEVAL: dict[str, dict[str, Any]] = {"finer": {"docs": "labels+train", "window": 20},
                                         "fnxl": {"docs": "labels", "window": 20}}
_SPLITS: dict[str, list[str]] = {}  # per format: each bundled prompt's split, computed once
RETRIEVAL_K = 10  # the registry's default: FiNER dev recall@10 0.88, FNXL prompts < 6k tokens


def tag_options(prompt: str, fmt: str) -> list[str]:
    """The allowed tags listed in a FiNER / FNXL prompt, in prompt order."""
    if fmt == "finer":
        listing = prompt.split("tags options: ", 1)[1].split("\n", 1)[0]
        listing = listing.split(". Answer", 1)[0].split(".\n", 1)[0].rstrip(".")
    else:
        listing = prompt.split("Provide nothing else\n", 1)[1].split("\n", 1)[0]
    return [tag.strip().rstrip(".") for tag in listing.split(",") if tag.strip()]


def _listing(prompt: str, fmt: str) -> str:
    """The tag listing of a FiNER / FNXL prompt, as written."""
    if fmt == "finer":
        return prompt.split("tags options: ,", 1)[1].split(". Answer", 1)[0]
    return prompt.split("Provide nothing else\n", 1)[1].split("\n", 1)[0]


def finer_prompt(tags: Sequence[str], items: Sequence[tuple[str, str]]) -> str:
    """A FiNER-format prompt for (numeral, sentence) pairs."""
    questions = "\n".join(f'{i}. What is best tag for entity "{num}" in sentence: "{sent}?"'
                          for i, (num, sent) in enumerate(items, 1))
    return (f"You are XBRL expert.  Here is a list of US GAAP tags options: ,{','.join(tags)}. "
            f"Answer the following {len(items)} independent questions by providing only  "
            f"{len(items)} US GAAP tags answers in the order of the questions. Each answer must "
            f"be saperated by a comma (,).  Provide nothing else. \n{questions}\n"
            "Output US GAAP tags:")


class XBRLTagging(Task):
    """FiNER-139 / FNXL: one US-GAAP tag per highlighted numeral; scored per tag."""

    kind: ClassVar = "tagging"
    max_new_tokens: ClassVar[int] = 160

    def __init__(self, fmt: str = "finer", retrieval_k: int | None = None) -> None:
        """`retrieval_k`: list only the top-k retrieved tags per numeral in each prompt (and
        decode among them); None: FinLoRA's prompt with every tag (the default)."""
        if fmt not in FILES:
            raise DataError(f"unknown XBRL tagging format {fmt!r}: {sorted(FILES)}")
        self.name = fmt
        self.fmt = fmt
        self.retrieval_k = retrieval_k
        self._retriever: TagRetriever | None = None
        # longest gold answer in the SmolLM2 tokenizer: FiNER 105 tokens, FNXL 490 (30 tags)
        self.max_new_tokens = 160 if fmt == "finer" else 640  # type: ignore[misc]

    def load(self, split: Split = "test", limit: int | None = None) -> list[Example]:
        examples = self.prompts(split)
        examples = examples[:limit] if limit is not None else examples
        if self.retrieval_k:
            examples = [self.with_retrieved_tags(ex, add_gold=split == "train")
                        for ex in examples]
        return examples

    def prompts(self, split: Split) -> list[Example]:
        """The split's FinLoRA prompts; prompts sharing a near-duplicate sentence split
        together (`finlora.tasks.dedup.linked_groups`)."""
        rows = examples_from_rows(read_jsonl(bundled(FILES[self.fmt])), FILES[self.fmt])
        if self.fmt not in _SPLITS:
            owner = linked_groups([[s for _, s in self.numeral_sentences(ex)] for ex in rows])
            _SPLITS[self.fmt] = [split_of(rows[k].prompt) for k in owner]
        return [ex for ex, s in zip(rows, _SPLITS[self.fmt], strict=True) if s == split]

    def numeral_sentences(self, example: Example) -> list[tuple[str, str]]:
        """(numeral, its sentence) for each question of the prompt, in order."""
        pattern = _FINER_QUESTION if self.fmt == "finer" else _FNXL_QUESTION
        matches = list(pattern.finditer(example.prompt))
        ends = [m.start() for m in matches[1:]] + [len(example.prompt)]
        return [(m.group(1), example.prompt[m.end():end].split("\nOutput US GAAP", 1)[0]
                 .strip().rstrip('?"').strip())
                for m, end in zip(matches, ends, strict=True)]

    def retriever(self) -> TagRetriever:
        """The tag retriever (built once, from the train split for `labels+train`)."""
        if self._retriever is None:
            rows = self.prompts("train")
            tags = tag_options(rows[0].prompt, self.fmt)
            if RETRIEVAL[self.fmt]["docs"] == "labels":
                self._retriever = TagRetriever(tags)
            else:
                self._retriever = TagRetriever.from_pairs(tags, [
                    (self.query(numeral, sentence), gold)
                    for ex in rows
                    for (numeral, sentence), gold in zip(
                        self.numeral_sentences(ex), ex.target.split(","), strict=False)])
        return self._retriever

    def query(self, numeral: str, sentence: str) -> str:
        """The retrieval query for a numeral: its sentence, or the words around it."""
        window = RETRIEVAL[self.fmt]["window"]
        tokens = sentence.split()
        at = next((i for i, t in enumerate(tokens) if numeral in t), None)
        if window is None or at is None:
            return sentence
        return " ".join(tokens[max(0, at - window):at + window + 1])

    def with_retrieved_tags(self, example: Example, add_gold: bool = False) -> Example:
        """The example with its prompt listing only the retrieved tags (their union over the
        numerals, alphabetical), and each numeral's top-k in `meta["slot_tags"]`. `add_gold`
        (train split): the gold tags are added, so training always shows the right answer."""
        everything = self.tag_set(example)
        slots = [self.retriever().top(self.query(n, s), self.retrieval_k or 10)
                 for n, s in self.numeral_sentences(example)]
        if add_gold:
            gold = [t.strip() for t in example.target.split(",")]
            slots = [top + [g] if g not in top else top
                     for top, g in zip(slots, gold, strict=False)] + [[g] for g in gold[len(slots):]]
        listed = sorted({t for top in slots for t in top})
        old = _listing(example.prompt, self.fmt)
        separator = "," if self.fmt == "finer" else ", "
        prompt = example.prompt.replace(old, separator.join(listed), 1)
        return Example(prompt, example.target, {**example.meta, "all_tags": everything,
                                                "slot_tags": slots})

    def candidates(self, example: Example) -> None:
        """None: the answer is a list of tags, one per numeral (see `answer_space`)."""
        return None

    def retrieved(self, example: Example) -> Example:
        """`example` with retrieved tags (an example from outside `load`, e.g. a user's
        FinLoRA-format file, gets them here); unchanged without retrieval or when it has them."""
        if not self.retrieval_k or "slot_tags" in example.meta:
            return example
        return self.with_retrieved_tags(example)

    def render(self, example: Example, tokenizer: Any = None, chat: bool = False) -> str:
        return super().render(self.retrieved(example), tokenizer, chat)

    def answer_space(self, example: Example) -> LabelLists:
        """One allowed tag per numeral of the prompt, decoded slot by slot."""
        slots = self.retrieved(example).meta.get("slot_tags")
        if slots:
            return LabelLists(tuple(tuple(top) for top in slots))
        return LabelLists.same(tuple(self.tag_set(example)), max(1, len(self.numerals(example))))

    def tag_set(self, example: Example) -> list[str]:
        """The tags a prompt allows for each of its numerals."""
        return (example.meta.get("all_tags") or example.meta.get("tags")
                or tag_options(example.prompt, self.fmt))

    def numerals(self, example: Example) -> list[str]:
        pattern = _FINER_QUESTION if self.fmt == "finer" else _FNXL_QUESTION
        return pattern.findall(example.prompt)

    def parse_answer(self, text: str, example: Example | None = None) -> str | None:
        """Comma-separated tags, each matched exactly against the allowed tags (unknown ones
        become `<unparsed>`); None when nothing parses."""
        allowed = self.tag_set(example) if example is not None else []
        tokens = [t for t in re.split(r"[,\n]+", text.strip()) if t.strip()]
        if example is not None:
            tokens = tokens[: max(1, len(self.numerals(example)) or len(tokens))]
        tags = [(match_tag(t, allowed) if allowed else t.strip()) or UNPARSED for t in tokens]
        return ",".join(tags) if any(t != UNPARSED for t in tags) else None

    def score(self, predictions: Sequence[str | None], examples: Sequence[Example]
              ) -> dict[str, Any]:
        """Per-tag scoring: each gold tag position against the predicted tag at that position."""
        flat_pred: list[str | None] = []
        flat_gold: list[str] = []
        exact = 0
        for prediction, example in zip(predictions, examples, strict=True):
            gold = [t.strip() for t in example.target.split(",")]
            pred = prediction.split(",") if prediction else []
            pred = [p if p != UNPARSED else None for p in pred]
            pred += [None] * (len(gold) - len(pred))
            exact += pred[: len(gold)] == gold
            flat_gold += gold
            flat_pred += pred[: len(gold)]
        report = classification_report(flat_pred, flat_gold)
        report.pop("confusion")  # 139 tags: too large to be useful as a picture
        report["n_examples"] = len(examples)
        report["exact_match"] = exact / len(examples) if examples else 0.0
        report["parse_failures"] = sum(p is None for p in predictions)
        return report

    @classmethod
    def from_filing(cls, inline_filing: Any, per_prompt: int = 4,
                    tags: Sequence[str] | None = None) -> list[Example]:
        """FiNER-style examples from an inline XBRL filing: each tagged numeral with the text of
        the paragraph or table row around it, grouped `per_prompt` to a prompt. The tag options
        are `tags` or the filing's own numeric us-gaap concepts."""
        from finlora.xbrl.tagged_text import tagged_numerals

        path = Path(getattr(inline_filing, "path", inline_filing))
        if path.is_dir() or path.suffix.lower() not in (".htm", ".html", ".xhtml"):
            # a folder or its XML instance: use the folder's one inline document, if any
            folder = path if path.is_dir() else path.parent
            inline = sorted(folder.glob("*.htm")) + sorted(folder.glob("*.xhtml"))
            path = inline[0] if len(inline) == 1 else path
        items = [n for n in tagged_numerals(path) if n.concept.startswith("us-gaap:")]
        if not items:
            raise DataError(f"{path}: no tagged us-gaap numerals (is it an inline .htm?)")
        options = list(tags) if tags else sorted({n.concept.split(":", 1)[1] for n in items})
        examples = []
        for start in range(0, len(items), per_prompt):
            group = items[start:start + per_prompt]
            prompt = finer_prompt(options, [(n.text, n.sentence) for n in group])
            target = ",".join(n.concept.split(":", 1)[1] for n in group)
            examples.append(Example(prompt, target, {
                "tags": options, "fact_ids": [n.fact_id for n in group], "source": path.name}))
        return examples
