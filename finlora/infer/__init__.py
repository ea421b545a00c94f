"""finlora.infer: put models to work — label scoring, batched generation, several adapters on
one base model, grounded XBRL extraction (`XBRLTagger`), batches of filings, pipeline stages.
"""

from finlora.infer.extraction import Citation, ExtractionRecord
from finlora.infer.predictor import Prediction, Predictor
from finlora.infer.scoring import LabelScores, score_labels
from finlora.infer.tagger import TaggedNumeral, XBRLTagger

__all__ = ["Citation", "ExtractionRecord", "LabelScores", "Prediction", "Predictor",
           "TaggedNumeral", "XBRLTagger", "score_labels"]
