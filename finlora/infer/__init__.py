"""finlora.infer: put models to work — label scoring, batched generation, several adapters on
one base model, grounded XBRL extraction (`XBRLTagger`), batches of filings, pipeline stages.
"""

from finlora.infer.predictor import Prediction, Predictor
from finlora.infer.scoring import LabelScores, score_labels

__all__ = ["LabelScores", "Prediction", "Predictor", "score_labels"]
