"""`LabelScores`: what label scoring returns for one prompt (scores, probabilities, the choice)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class LabelScores:
    """The scores of one prompt's allowed answers, and the chosen one."""

    labels: tuple[str, ...]
    scores: tuple[float, ...]          # normalised log-likelihood per label
    log_likelihoods: tuple[float, ...]  # summed log-probability per label
    # calibrated scoring only: per label, its summed log-probability after the content-free
    # prompt; `scores` are then the differences of the normalised scores
    baseline: tuple[float, ...] | None = None

    @property
    def best_index(self) -> int:
        """The highest score; on a tie, the label listed first."""
        return max(range(len(self.labels)), key=lambda i: (self.scores[i], -i))

    @property
    def best(self) -> str:
        return self.labels[self.best_index]

    @property
    def probabilities(self) -> tuple[float, ...]:
        """The model's probability of each label, given that the answer is one of them."""
        lls = self.log_likelihoods if self.baseline is None else tuple(
            ll - b for ll, b in zip(self.log_likelihoods, self.baseline, strict=True))
        top = max(lls)
        weights = [math.exp(ll - top) for ll in lls]
        total = sum(weights)
        return tuple(w / total for w in weights)

    @property
    def confidence(self) -> float:
        return self.probabilities[self.best_index]

    def as_dict(self) -> dict[str, float]:
        return dict(zip(self.labels, self.scores, strict=True))
