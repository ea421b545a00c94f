"""`XBRLTagger`: a (finetuned) model put to work on filings and financial text.

    tagger = XBRLTagger.from_pretrained()            # embedded model (+ finlora's adapter if shipped)
    tagger.extract("examples/filings/tesla-10q-2024-06-30")   # rules' facts, model-checked
    tagger.tag("Revenue was $ 25.5 billion, up 2 % from last year.")  # FiNER-style tags

Extraction uses finlora's `xbrl-extraction` adapter and tagging its `xbrl-tagging` adapter,
each where it ships. FiNER tags are chosen the way `finlora eval --task finer` scores them: each
numeral among its top-k retrieved tags, k as the tagging adapter was trained with.
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
from finlora.tasks.xbrl_tagging import XBRLTagging, finer_prompt
from finlora.tasks.xbrl_tagging_adapter import adapter_retrieval_k

SHIPPED = Path(__file__).resolve().parents[1] / "adapters"
DEFAULT_ADAPTER = SHIPPED / "xbrl-extraction"
TAGGING_ADAPTER = SHIPPED / "xbrl-tagging"
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

    def __init__(self, predictor: Predictor, adapter: str | None = None,
                 tag_adapter: str | None = None, retrieval_k: int | None = None) -> None:
        """`adapter` / `tag_adapter`: the loaded adapters extraction / tagging score with
        (None: the active one); `retrieval_k`: FiNER candidates per numeral (None: all 139)."""
        self.predictor = predictor
        self.adapter = adapter
        self.tag_adapter = tag_adapter if tag_adapter is not None else adapter
        self.retrieval_k = retrieval_k

    @classmethod
    def from_pretrained(cls, base_model: str | os.PathLike[str] | None = None,
                        adapter: str | os.PathLike[str] | None = None, *,
                        quantization: Quantization = "none", device: str | None = None,
                        batch_size: int = 8, allow_network: bool = False) -> XBRLTagger:
        """Load the base model (default: the embedded one) and the adapter, used for both
        extraction and tagging; by default finlora's shipped `xbrl-extraction` and
        `xbrl-tagging` adapters, each for its own work, where they ship (none otherwise)."""
        adapters: dict[str, Path] = {}
        if adapter is not None:
            adapters["adapter"] = Path(adapter)
        else:
            adapters.update((folder.name, folder) for folder in (DEFAULT_ADAPTER, TAGGING_ADAPTER)
                            if (folder / "adapter_config.json").is_file())
        predictor = Predictor(base_model, adapters=adapters or None, quantization=quantization,
                              device=device, batch_size=batch_size, allow_network=allow_network)
        extraction = next((n for n in ("adapter", DEFAULT_ADAPTER.name) if n in adapters), None)
        tagging = next((n for n in ("adapter", TAGGING_ADAPTER.name) if n in adapters), None)
        k = adapter_retrieval_k(adapters[tagging])[1] if tagging else None
        return cls(predictor, extraction, tagging, k)

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
    def finer(self) -> XBRLTagging:
        """FiNER-139 (its tag set and candidate retrieval)."""
        return XBRLTagging("finer", retrieval_k=self.retrieval_k)

    @cached_property
    def finer_tags(self) -> list[str]:
        """FiNER-139's tag set, as listed in its prompts."""
        return self.finer.tag_set(self.finer.prompts("test")[0])

    def tag(self, text_or_sentences: str | Sequence[str], tags: Sequence[str] | None = None
            ) -> list[TaggedNumeral]:
        """Tag every numeral (bare years excepted) with one of `tags` (default: FiNER-139's,
        each numeral among its top-k retrieved ones), four numerals to a FiNER prompt, each
        tag chosen by constrained decoding."""
        sentences = (split_sentences(text_or_sentences) if isinstance(text_or_sentences, str)
                     else list(text_or_sentences))
        items = [(sentence, m) for sentence in sentences for m in find_numerals(sentence)]
        groups = [items[i:i + NUMERALS_PER_PROMPT]
                  for i in range(0, len(items), NUMERALS_PER_PROMPT)]
        slot_tags = [[self._candidates(m.group(0), s, tags) for s, m in g] for g in groups]
        prompts = [finer_prompt(sorted({t for slot in slots for t in slot}),
                                [(m.group(0), s) for s, m in group])
                   for group, slots in zip(groups, slot_tags, strict=True)]
        slots = self.predictor.score_label_lists(prompts, slot_tags, [len(g) for g in groups],
                                                 adapter=self.tag_adapter)
        tagged = []
        for group, per_slot in zip(groups, slots, strict=True):
            for (sentence, match), scores in zip(group, per_slot, strict=True):
                tagged.append(TaggedNumeral(
                    text=match.group(0), sentence=sentence, start=match.start(),
                    end=match.end(), tag=scores.best, confidence=scores.confidence,
                    alternatives=runners_up(scores)))
        return tagged

    def _candidates(self, numeral: str, sentence: str, tags: Sequence[str] | None
                    ) -> list[str]:
        """The tags a numeral is chosen among: `tags`, or FiNER's top-k retrieved (all 139
        without retrieval)."""
        if tags:
            return list(tags)
        if not self.retrieval_k:
            return self.finer_tags
        return self.finer.retriever().top(self.finer.query(numeral, sentence), self.retrieval_k)
