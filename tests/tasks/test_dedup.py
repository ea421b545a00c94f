"""Near-duplicate groups on hand-made texts whose groups are known by reading them."""

from __future__ import annotations

from finlora.tasks.dedup import groups, linked_groups


def test_groups_join_normalized_equal_and_templated_texts() -> None:
    texts = ["Sales fell in Q3.",
             "Operating profit rose to EUR 13.1 mn from EUR 8.7 mn",
             "$AAPL beats estimates https://t.co/abc",
             "operating profit rose to EUR 9.9 mn from EUR 2.0 mn!",  # numbers masked: same set
             "$AAPL beats estimates https://t.co/xyz",                # differs only by its link
             "Operating profit fell to EUR 1 mn"]                     # Jaccard 6/9 < 0.8
    assert groups(texts) == [0, 1, 2, 1, 2, 5]


def test_linked_groups_join_items_through_any_of_their_texts() -> None:
    items = [["Revenue was 5 million.", "Cash was 3 million."],
             ["Debt was 7 million."],
             ["Goodwill was 2 billion.", "Cash was 9 million."],  # links to item 0
             ["Debt was 1 million."]]                             # links to item 1
    assert linked_groups(items) == [0, 1, 0, 1]
