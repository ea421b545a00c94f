"""`XBRLTagger.tag` (numerals get exactly one allowed tag) and extraction's rules-first logic."""

from __future__ import annotations

import pytest

from finlora.infer import XBRLTagger

TAGS = ["Revenues", "ConcentrationRiskPercentage1", "InterestExpense", "InterestExpenseDebt"]


@pytest.mark.slow
def test_tag_numerals_with_allowed_tags_only(predictor):
    sentence = "Revenue was $ 25.5 billion in 2024 , up 2 % , and interest expense was $ 1,204 ."
    tagged = XBRLTagger(predictor).tag(sentence, tags=TAGS)
    assert [t.text for t in tagged] == ["25.5", "2", "1,204"]  # the year is not a numeral
    for item in tagged:
        assert item.sentence[item.start:item.end] == item.text
        assert item.tag in TAGS and item.tag not in item.alternatives
        assert 0 < item.confidence <= 1
        assert set(item.alternatives) <= set(TAGS)


class FirstCandidate:
    """A stand-in predictor that always picks the first offered concept (an alphabetical
    choice, so it disagrees with the rules on most lines)."""

    def score_labels(self, prompts, labels, adapter=None, normalization="sum"):  # noqa: ANN001
        from finlora.infer.scoring import LabelScores

        return [LabelScores(tuple(options), tuple(-float(i) for i in range(len(options))),
                            tuple(-float(i) for i in range(len(options)))) for options in labels]


def test_extract_rules_first_model_checks_resolves_and_answers() -> None:
    """Records of Netflix's FY2023 10-K (published: revenues 33,723,297K; no gross profit
    line): the rules' facts stay whatever the model says, disagreements are warnings, the line
    the rules cannot find and the free question are the model's, flagged."""
    from pathlib import Path

    from finlora.infer.extraction import extract, summary
    from finlora.xbrl import load_filing

    filing = load_filing(Path(__file__).resolve().parents[2] / "examples" / "filings" /
                         "netflix-10k-2023-12-31")
    records = {r.name: r for r in extract(FirstCandidate(), filing, None)}
    revenue = records["Revenue"]
    assert revenue.method == "rules" and revenue.value == 33_723_297_000
    assert revenue.period_kind == "FY" and revenue.confidence == 1.0
    assert revenue.model_check is not None and not revenue.model_check["agrees"]
    assert any("the model chose" in w for w in revenue.warnings)
    gross = records["Gross Profit"]  # Netflix reports no gross profit
    assert gross.method == "model" and "not found by the standard mapping" in gross.warnings[0]
    assert gross.period_kind == "FY"  # a duration line: only the fiscal year's facts offered
    assert records["quick ratio"].value is None and records["quick ratio"].warnings
    facts = summary(list(records.values()))
    assert facts["model_needed_for"] == ["Gross Profit", "Inventory"]
    assert "Revenue" in facts["model_disagrees_on"] and not facts["checks_failed"]

    asked = extract(FirstCandidate(), filing, ["What were total assets?",
                                               "What was the amount of content assets?"])
    assert asked[0].method == "rules" and asked[0].value == 48_731_992_000
    assert asked[1].method == "model" and asked[1].warnings
    rules_only = extract(None, filing, ["What was the amount of content assets?"])
    assert rules_only[0].method == "none" and rules_only[0].value is None


def test_default_tags_are_the_candidates_finer_eval_scores_among() -> None:
    """With no tags given, each numeral is chosen among the same top-k tags as in `finlora
    eval --task finer` (the task's slot lists), k as the shipped tagging adapter records."""
    from finlora.infer.tagger import TAGGING_ADAPTER
    from finlora.tasks.xbrl_tagging import XBRLTagging
    from finlora.tasks.xbrl_tagging_adapter import adapter_retrieval_k

    recorded, k = adapter_retrieval_k(TAGGING_ADAPTER)
    assert recorded and k is not None
    task = XBRLTagging("finer", retrieval_k=k)
    tagger = XBRLTagger(predictor=None, retrieval_k=k)  # type: ignore[arg-type]
    for example in task.load("test", limit=3):
        offered = [tagger._candidates(numeral, sentence, None)
                   for numeral, sentence in task.numeral_sentences(example)]
        assert tuple(map(tuple, offered)) == task.answer_space(example).slots
        assert all(len(tags) == k for tags in offered)
    assert len(XBRLTagger(predictor=None)._candidates("5", "x", None)) == 139  # type: ignore[arg-type]
