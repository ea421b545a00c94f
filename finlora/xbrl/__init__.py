"""finlora.xbrl: real SEC filings → typed, queryable facts, fully offline.

    from finlora.xbrl import load_filing
    filing = load_filing("examples/filings/tesla-10q-2024-06-30/tsla-20240630_htm.xml")
    filing.facts.query().concept("CashAndCashEquivalentsAtCarryingValue").period("2024-06-30")

`iter_facts(path)` streams a plain instance's facts without keeping them (bounded memory).
Knows nothing of models or torch; Arelle is imported only when the Arelle engine is used.
"""

from finlora.errors import FilingError
from finlora.xbrl.filing import Filing, find_entry_point, load_filing
from finlora.xbrl.instance_stream import iter_facts
from finlora.xbrl.query import FactQuery, FactSet, fact_record
from finlora.xbrl.types import Calculation, Context, Fact, Unit

__all__ = ["Calculation", "Context", "Fact", "FactQuery", "FactSet", "Filing", "FilingError",
           "Unit", "fact_record", "find_entry_point", "iter_facts", "load_filing"]
