"""Named-entity typing: the type (location / organization / person) of a span in a sentence."""

from __future__ import annotations

from finlora.tasks.base import Example, Split, input_text
from finlora.tasks.classification import LabelTask
from finlora.tasks.datafiles import bundled, examples_from_rows, read_jsonl, split_of


class NER(LabelTask):
    """FinLoRA's NER task, split 70/10/20 by a hash of the input sentence.

    FinLoRA's file asks about 80 (entity, sentence) pairs, each ~35 times with a paraphrased
    instruction and shuffled options; splitting by the sentence keeps every paraphrase of a
    question in one split (splitting by prompt would put the same question in train and test).
    """

    name = "ner"
    labels = ("location", "organization", "person")

    def load(self, split: Split = "test", limit: int | None = None) -> list[Example]:
        rows = examples_from_rows(read_jsonl(bundled("ner_test.jsonl.gz")), "ner_test")
        examples = [ex for ex in rows if split_of(input_text(ex.prompt)) == split]
        return examples[:limit] if limit is not None else examples
