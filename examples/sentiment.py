"""Classify financial sentences with the shipped sentiment adapter (label scoring: every answer
is one of the task's labels).

    python examples/sentiment.py
"""

from pathlib import Path

import finlora
from finlora import tasks
from finlora.infer import Predictor

fpb = tasks.get("fpb")
sentences = ["Operating profit rose to EUR 13.1 mn from EUR 8.7 mn in the same period.",
             "The company said it will cut 300 jobs after sales fell sharply.",
             "The annual general meeting will be held in Helsinki on 12 March."]
examples = [tasks.Example(fpb.prompt_for(s), "") for s in sentences]
predictor = Predictor(adapters=Path(finlora.__file__).parent / "adapters" / "sentiment")
for sentence, prediction in zip(sentences, predictor.predict(fpb, examples), strict=True):
    print(f"{prediction.answer:9} {prediction.confidence:.2f}  {sentence}")
