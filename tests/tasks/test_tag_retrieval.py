"""Candidate-tag retrieval for FiNER / FNXL: hand-checked words and rankings, and retrieved
prompts that fit the embedded model's context."""

from __future__ import annotations

import math

from finlora import tasks
from finlora.tasks.answers import LabelLists
from finlora.tasks.tag_retrieval import TagRetriever, tag_words, words


def test_tag_and_sentence_words() -> None:
    assert tag_words("us-gaap:CashAndCashEquivalentsFairValueDisclosure") == [
        "cash", "cash", "equivalent", "fair", "value", "disclosure"]
    assert tag_words("DebtInstrumentBasisSpreadOnVariableRate1") == [
        "debt", "instrument", "basi", "spread", "variable", "rate"]  # "basis": plural rule
    assert words("The Company's revolving credit facilities were $ 9.1 million") == [
        "company", "revolving", "credit", "facilitie", "million"]


def test_bm25_by_hand() -> None:
    """Two 3-word tags, one query word in one of them: idf = ln(1 + (2 - 1 + .5) / (1 + .5))
    = ln 2; tf part = 1 * 2.2 / (1 + 1.2 * (1 - .75 + .75 * 3 / 3)) = 1; a word of a
    4-word tag: 2.2 / (1 + 1.2 * (.25 + .75 * 4 / 3.5))."""
    retriever = TagRetriever(["GoodwillImpairmentLoss", "LongTermDebt"])
    scores = retriever.scores("a goodwill charge")
    assert math.isclose(scores[0], math.log(2)) and scores[1] == 0.0
    longer = TagRetriever(["GoodwillImpairmentLossTotal", "LongTermDebt"]).scores("goodwill")
    assert math.isclose(longer[0], math.log(2) * 2.2 / (1 + 1.2 * (0.25 + 0.75 * 4 / 3.5)))
    assert retriever.top("long term debt of the company", 1) == ["LongTermDebt"]


def test_finer_sentence_about_a_letter_of_credit_ranks_its_tag_first_five() -> None:
    finer = tasks.get("finer")
    tags = finer.tag_set(finer.load("test", limit=1)[0])
    top = TagRetriever(tags).top("an outstanding but undrawn irrevocable standby letter of "
                                 "credit of $ 9.1 million", 5)
    assert "LettersOfCreditOutstandingAmount" in top


def test_retrieved_prompts_list_each_slots_tags_and_fnxl_fits_the_context() -> None:
    from transformers import AutoTokenizer

    from finlora.models import resolve_model

    tokenizer = AutoTokenizer.from_pretrained(resolve_model(None))
    fnxl = tasks.get("fnxl")
    for example in fnxl.load("test"):
        space = fnxl.answer_space(example)
        assert isinstance(space, LabelLists) and len(space.slots) == len(fnxl.numerals(example))
        assert all(len(slot) == 10 and all(t in example.prompt for t in slot)
                   for slot in space.slots)
        assert len(tokenizer(example.prompt)["input_ids"]) < 8192 - 640
    finer = tasks.get("finer")
    for example in finer.load("train", limit=20):  # training prompts always list the gold tags
        assert all(tag in example.prompt for tag in example.target.split(","))


def test_a_users_finlora_line_gets_retrieved_tags_when_rendered_and_decoded() -> None:
    fnxl = tasks.get("fnxl")
    raw = tasks.get("fnxl", retrieval_k=None).load("test", limit=1)[0]
    outside = tasks.Example(raw.prompt, raw.target)  # as read from a user's file: no meta
    assert fnxl.render(outside) == fnxl.load("test", limit=1)[0].prompt
    space = fnxl.answer_space(outside)
    assert isinstance(space, LabelLists) and all(len(slot) == 10 for slot in space.slots)
