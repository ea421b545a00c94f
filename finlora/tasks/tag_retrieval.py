"""Candidate-tag retrieval for FiNER / FNXL: the top-k US-GAAP tags for a numeral, by BM25
between the numeral's sentence and each tag's words.

A tag's words are its label words (`CashAndCashEquivalentsFairValueDisclosure` → cash, and,
cash, equivalents, fair, value, disclosure), optionally plus the words of the train-split
sentences it is the gold tag of (`docs="labels+train"`: a lexical, data-derived description).
Pure Python, no torch: the top-k lists make FNXL's prompts fit SmolLM2's 8,192-token context
and give FiNER's label scoring fewer tags to choose among.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence

_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_WORD = re.compile(r"[A-Za-z]+")
STOP = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "has", "have", "in", "is", "it", "its", "of", "on", "or", "our", "that", "the", "their", "this", "to", "was", "were", "which", "with", "we", "us"])


def stem(word: str) -> str:
    """Lower case, a plural `s` dropped (`equivalents` → `equivalent`)."""
    word = word.lower()
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return word


def words(text: str) -> list[str]:
    """The stemmed content words of a sentence."""
    return [w for w in (stem(m) for m in _WORD.findall(text)) if w not in STOP and len(w) > 1]


def tag_words(tag: str) -> list[str]:
    """The stemmed words of a tag's name (camel case split)."""
    name = tag.rpartition(":")[2]
    return [w for w in (stem(m) for m in _CAMEL.findall(name)) if w not in STOP and len(w) > 1]


class TagRetriever:
    """BM25 over one document per tag."""

    def __init__(self, tags: Sequence[str], extra: dict[str, list[str]] | None = None,
                 k1: float = 1.2, b: float = 0.75) -> None:
        self.tags = list(dict.fromkeys(tags))
        self.docs = [Counter(tag_words(t) + (extra or {}).get(t, [])) for t in self.tags]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.avg = sum(self.lengths) / max(1, len(self.lengths))
        df = Counter(w for d in self.docs for w in d)
        n = len(self.docs)
        self.idf = {w: math.log(1 + (n - c + 0.5) / (c + 0.5)) for w, c in df.items()}
        self.k1, self.b = k1, b

    @classmethod
    def from_pairs(cls, tags: Sequence[str], pairs: Iterable[tuple[str, str]]) -> TagRetriever:
        """Tag documents enriched with the words of (sentence, gold tag) training pairs."""
        extra: dict[str, list[str]] = {}
        for sentence, tag in pairs:
            extra.setdefault(tag, []).extend(words(sentence))
        return cls(tags, extra)

    def scores(self, query: str) -> list[float]:
        terms = Counter(words(query))
        out = []
        for doc, length in zip(self.docs, self.lengths, strict=True):
            norm = self.k1 * (1 - self.b + self.b * length / self.avg)
            out.append(sum(self.idf.get(w, 0.0) * q * doc[w] * (self.k1 + 1) / (doc[w] + norm)
                           for w, q in terms.items() if w in doc))
        return out

    def top(self, query: str, k: int) -> list[str]:
        """The k best tags for `query`, best first (ties: tag order)."""
        scored = self.scores(query)
        order = sorted(range(len(self.tags)), key=lambda i: (-scored[i], i))
        return [self.tags[i] for i in order[:k]]


def recall_at_k(retriever: TagRetriever, pairs: Sequence[tuple[str, str]], ks: Sequence[int]
                ) -> dict[int, float]:
    """Share of (sentence, gold tag) pairs whose gold tag is in the top k, for each k."""
    hits = dict.fromkeys(ks, 0)
    for sentence, gold in pairs:
        ranked = retriever.top(sentence, max(ks))
        for k in ks:
            hits[k] += gold in ranked[:k]
    return {k: hits[k] / len(pairs) if pairs else 0.0 for k in ks}
