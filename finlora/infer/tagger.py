"""`XBRLTagger`: a (finetuned) model put to work on filings and financial text.

    tagger = XBRLTagger.from_pretrained()            # embedded model (+ finlora's adapter if shipped)
    tagger.extract("examples/filings/tesla-10q-2024-06-30")   # rules' facts, model-checked
    tagger.tag("Revenue was $ 25.5 billion, up 2 % from last year.")  # FiNER-style tags
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from finlora.infer.extraction import ExtractionRecord, extract, runners_up
from finlora.infer.predictor import Predictor
from finlora.models import Quantization
from finlora.tasks.xbrl_tagging import finer_prompt

DEFAULT_ADAPTER = Path(__file__).resolve().parents[1] / "adapters" / "xbrl-extraction"
NUMERALS_PER_PROMPT = 4  # FiNER's batched format
_NUMERAL = re.compile(r"(?<![\w.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w])")
_YEAR = re.compile(r"(?:19|20)\d\d")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])")


class TaggedNumeral(BaseModel):
    """A numeral in a sentence with the US-GAAP tag the model gives it."""

    model_config = ConfigDict(frozen=True)

    text: str
    sentence: str
    start: int  # character offsets in the sentence
    end: int
    tag: str
    confidence: float
    alternatives: dict[str, float] = {}


def find_numerals(sentence: str) -> list[re.Match[str]]:
    """The numerals FiNER tags: numbers, except bare years (1900–2099)."""
    return [m for m in _NUMERAL.finditer(sentence) if not _YEAR.fullmatch(m.group(0))]


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


class XBRLTagger:
    """Grounded XBRL extraction and FiNER-style numeral tagging with one loaded model."""

    def __init__(self, predictor: Predictor, adapter: str | None = None) -> None:
        self.predictor = predictor
        self.adapter = adapter

    @classmethod
    def from_pretrained(cls, base_model: str | os.PathLike[str] | None = None,
                        adapter: str | os.PathLike[str] | None = None, *,
                        quantization: Quantization = "none", device: str | None = None,
                        batch_size: int = 8, allow_network: bool = False) -> XBRLTagger:
        """Load the base model (default: the embedded one) and the adapter (default: finlora's
        `xbrl-extraction` adapter when it ships with the package; none otherwise)."""
        if adapter is None and (DEFAULT_ADAPTER / "adapter_config.json").is_file():
            adapter = DEFAULT_ADAPTER
        predictor = Predictor(base_model, adapters=adapter, quantization=quantization,
                              device=device, batch_size=batch_size, allow_network=allow_network)
        return cls(predictor)

    def extract(self, filing: object, questions: Sequence[str] | None = None, *,
                use_model: bool = True) -> list[ExtractionRecord]:
        """Records for the key lines and ratios of a filing (a `Filing` or a path), or for the
        given questions / ratio names. Key facts and ratios come from the financial-statement
        layer (exact, cited, with period kind and checks); the model cross-checks them,
        resolves lines the standard mapping cannot, and answers free questions — each record
        says which (`method`) and warns on disagreement or a failed check. `use_model=False`:
        rules only. `finlora.infer.extraction.summary(records)` says where the model was
        needed."""
        from finlora.xbrl import Filing, load_filing

        loaded = filing if isinstance(filing, Filing) else load_filing(filing)  # type: ignore[arg-type]
        return extract(self.predictor if use_model else None, loaded, questions,
                       adapter=self.adapter)

    @cached_property
    def finer_tags(self) -> list[str]:
        """FiNER-139's tag set, as listed in its prompts."""
        from finlora import tasks

        finer = tasks.get("finer")
        return list(finer.tag_set(finer.load("test", limit=1)[0]))  # type: ignore[attr-defined]

    def tag(self, text_or_sentences: str | Sequence[str], tags: Sequence[str] | None = None
            ) -> list[TaggedNumeral]:
        """Tag every numeral (bare years excepted) with one of `tags` (default: FiNER-139's),
        four numerals to a FiNER prompt, each tag chosen by constrained decoding."""
        sentences = (split_sentences(text_or_sentences) if isinstance(text_or_sentences, str)
                     else list(text_or_sentences))
        options = list(tags) if tags else self.finer_tags
        items = [(sentence, m) for sentence in sentences for m in find_numerals(sentence)]
        groups = [items[i:i + NUMERALS_PER_PROMPT]
                  for i in range(0, len(items), NUMERALS_PER_PROMPT)]
        prompts = [finer_prompt(options, [(m.group(0), s) for s, m in group]) for group in groups]
        slots = self.predictor.score_label_lists(prompts, [options] * len(groups),
                                                 [len(g) for g in groups], adapter=self.adapter)
        tagged = []
        for group, per_slot in zip(groups, slots, strict=True):
            for (sentence, match), scores in zip(group, per_slot, strict=True):
                tagged.append(TaggedNumeral(
                    text=match.group(0), sentence=sentence, start=match.start(),
                    end=match.end(), tag=scores.best, confidence=scores.confidence,
                    alternatives=runners_up(scores)))
        return tagged
