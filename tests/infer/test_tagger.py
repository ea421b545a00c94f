"""`XBRLTagger.tag`: every numeral gets exactly one allowed tag, with offsets and confidence."""

from __future__ import annotations

import pytest

from finlora.infer import XBRLTagger

pytestmark = pytest.mark.slow

TAGS = ["Revenues", "ConcentrationRiskPercentage1", "InterestExpense", "InterestExpenseDebt"]


def test_tag_numerals_with_allowed_tags_only(predictor):
    sentence = "Revenue was $ 25.5 billion in 2024 , up 2 % , and interest expense was $ 1,204 ."
    tagged = XBRLTagger(predictor).tag(sentence, tags=TAGS)
    assert [t.text for t in tagged] == ["25.5", "2", "1,204"]  # the year is not a numeral
    for item in tagged:
        assert item.sentence[item.start:item.end] == item.text
        assert item.tag in TAGS and item.tag not in item.alternatives
        assert 0 < item.confidence <= 1
        assert set(item.alternatives) <= set(TAGS)
