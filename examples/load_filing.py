"""Load a real 10-Q offline and query its facts (no model, no torch).

    python examples/load_filing.py
"""

from pathlib import Path

from finlora.xbrl import load_filing

FOLDER = Path(__file__).parent / "filings" / "tesla-10q-2024-06-30"

filing = load_filing(FOLDER)
print(filing)
for name in ["Assets", "Liabilities", "CashAndCashEquivalentsAtCarryingValue"]:
    fact = filing.facts.query().concept(name).period("2024-06-30").without_dimensions().first()
    print(f"{fact.label:45} {fact.numeric:>16,} {fact.unit}  ({fact.id}, {fact.context_id})")
current = [c for c in filing.calculations if c.parent == "us-gaap:AssetsCurrent"][0]
print("AssetsCurrent =", " + ".join(child for child, _ in current.children))
