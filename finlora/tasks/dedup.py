"""Near-duplicate detection, so that no test input has a near copy in train.

Two texts are near duplicates when their normalized forms are equal (lower case, URLs and
@mentions stripped, ASCII letters and digits only: tweets that differ only by a link), or when
the Jaccard similarity of their word sets, with every number masked, is at least `THRESHOLD`
(FPB's templated sentences: "Operating profit rose to EUR 13.1 mn from EUR 8.7 mn"). Near
duplicates are grouped (transitively) and each group is split as one: the split key of a
text is its group's first member. Pure Python, no torch.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence

THRESHOLD = 0.8
_URL = re.compile(r"https?://\S+|www\.\S+|\bt\.co/\S+|@\w+", re.IGNORECASE)
_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
_RARE = 6  # candidate pairs share one of a text's `_RARE` rarest words
_COMMON = 400  # words in more texts than this propose no pairs (cost stays near linear)


def normalized(text: str) -> str:
    """Lower case, URLs and mentions removed, ASCII letters / digits / single spaces only."""
    text = _URL.sub(" ", text.lower())
    text = "".join(ch if ch.isascii() and ch.isalnum() else " " for ch in text)
    return " ".join(text.split())


def word_set(text: str) -> frozenset[str]:
    """The normalized words, every number masked as `0`."""
    return frozenset(_DIGITS.sub("0", normalized(text)).split())


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def groups(texts: Sequence[str], threshold: float = THRESHOLD) -> list[int]:
    """For each text, the index of the first text of its near-duplicate group."""
    found = _Groups(len(texts))
    first: dict[str, int] = {}
    for i, text in enumerate(texts):
        found.join(first.setdefault(normalized(text), i), i)
    sets = [word_set(t) for t in texts]
    for i, j in _candidate_pairs(sets):
        if found.root(i) != found.root(j) and jaccard(sets[i], sets[j]) >= threshold:
            found.join(i, j)
    return found.roots()


def linked_groups(items: Sequence[Sequence[str]], threshold: float = THRESHOLD) -> list[int]:
    """For items that each hold several texts (a FiNER prompt's sentences): the index of the
    first item of each item's group, items being linked when any of their texts are near
    duplicates of each other."""
    texts = [text for item in items for text in item]
    item_of = [i for i, item in enumerate(items) for _ in item]
    found = _Groups(len(items))
    for t, owner in enumerate(groups(texts, threshold)):
        found.join(item_of[t], item_of[owner])
    return found.roots()


class _Groups:
    """Disjoint groups of 0..n-1 (union-find); a group's root is its smallest member."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def root(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(self, i: int, j: int) -> None:
        a, b = self.root(i), self.root(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)

    def roots(self) -> list[int]:
        return [self.root(i) for i in range(len(self.parent))]


def split_keys(texts: Sequence[str], threshold: float = THRESHOLD) -> list[str]:
    """The text to hash for each text's split: its near-duplicate group's first member."""
    owner = groups(texts, threshold)
    return [texts[k] for k in owner]


def near_duplicates(train: Sequence[str], test: Sequence[str],
                    threshold: float = THRESHOLD) -> dict[str, int]:
    """How many `test` texts have a near duplicate in `train`: equal once normalized, or only
    by word-set similarity (numbers masked)."""
    train_keys = {normalized(t) for t in train}
    exact = sum(normalized(t) in train_keys for t in test)
    texts = list(train) + list(test)
    sets = [word_set(t) for t in texts]
    n = len(train)
    fuzzy_hits: set[int] = set()
    for i, j in _candidate_pairs(sets):
        lo, hi = min(i, j), max(i, j)
        if lo < n <= hi and hi not in fuzzy_hits and jaccard(sets[lo], sets[hi]) >= threshold:
            fuzzy_hits.add(hi)
    fuzzy = sum(normalized(texts[h]) not in train_keys for h in fuzzy_hits)
    return {"test": len(test), "exact_normalized": exact, "fuzzy_only": fuzzy,
            "total": exact + fuzzy}


def _candidate_pairs(sets: Sequence[frozenset[str]]) -> set[tuple[int, int]]:
    """Pairs that share one of their `_RARE` rarest words: a pair with Jaccard ≥ 0.8 almost
    always does (the sets differ in at most a fifth of their words)."""
    frequency: dict[str, int] = defaultdict(int)
    for words in sets:
        for word in words:
            frequency[word] += 1
    index: dict[str, list[int]] = defaultdict(list)
    for i, words in enumerate(sets):
        for word in sorted(words, key=lambda w: (frequency[w], w))[:_RARE]:
            index[word].append(i)
    pairs: set[tuple[int, int]] = set()
    for members in index.values():
        if len(members) > _COMMON:
            continue
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                pairs.add((members[a], members[b]))
    return pairs
