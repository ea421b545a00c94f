"""Grounded extraction with the shipped XBRL adapter: the model picks concepts, values come
from the filing.

    python examples/extract_with_tagger.py
"""

from pathlib import Path

from finlora import XBRLTagger, load_filing

filing = load_filing(Path(__file__).parent / "filings" / "tesla-10q-2024-06-30")
tagger = XBRLTagger.from_pretrained()  # embedded SmolLM2-135M + finlora/adapters/xbrl-extraction
for record in tagger.extract(filing):
    print(f"{record.name:28} {record.concept or '(ratio)':48} {record.value}")
