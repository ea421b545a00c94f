"""Loading the six real filings: counts, values, labels, dimensions, calculations, engines."""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal

import pytest

from finlora.xbrl import Filing, load_filing

from .conftest import EXPECTED_FACTS, FILINGS


def fact_key(fact):  # everything a user sees of a fact
    return (fact.concept, fact.context_id, fact.unit, fact.value, fact.numeric, fact.decimals,
            fact.id, fact.is_nil, fact.label, tuple(sorted(fact.dimensions.items())),
            fact.period_start, fact.period_end, fact.instant, fact.entity)


@pytest.mark.parametrize("name", EXPECTED_FACTS)
def test_fact_counts_with_both_engines(name, lxml_filings, arelle_filings) -> None:
    assert len(lxml_filings[name].facts) == EXPECTED_FACTS[name]
    assert len(arelle_filings[name].facts) == EXPECTED_FACTS[name]


@pytest.mark.parametrize("name", EXPECTED_FACTS)
def test_lxml_path_equals_arelle_path(name, lxml_filings, arelle_filings) -> None:
    assert [fact_key(f) for f in lxml_filings[name].facts] == \
        [fact_key(f) for f in arelle_filings[name].facts]


def test_inline_document_equals_its_instance(lxml_filings) -> None:
    inline = load_filing(FILINGS / "apple-10q-2025-03-29" / "aapl-20250329.htm")
    assert inline.engine == "arelle"
    instance = lxml_filings["apple-10q-2025-03-29"]
    assert sorted(map(fact_key, inline.facts)) == sorted(map(fact_key, instance.facts))


def test_sec_inline_transforms_give_the_instance_values() -> None:
    inline = load_filing(FILINGS / "apple-10q-2025-03-29" / "aapl-20250329.htm")
    by_id = {f.id: f for f in inline.facts}
    assert by_id["f-7"].value == "CA"  # ixt-sec:stateprovnameen
    assert by_id["f-17"].value == "NASDAQ"  # ixt-sec:exchnameen
    assert by_id["f-626"].value == "P12M"  # ixt-sec:durmonth
    assert by_id["f-696"].value == "P2Y8M12D"  # ixt-sec:duryear (2.7 years)
    assert by_id["f-639"].numeric == Decimal(2)  # ixt-sec:numwordsen ("two")


def test_known_value_label_and_period(lxml_filings) -> None:
    tesla = lxml_filings["tesla-10q-2024-06-30"]
    cash = (tesla.facts.query().concept("CashAndCashEquivalentsAtCarryingValue")
            .period("2024-06-30").without_dimensions().first())
    assert cash is not None
    assert cash.numeric == Decimal("14635000000")
    assert cash.unit == "USD" and cash.decimals == -6
    assert cash.instant == date(2024, 6, 30)
    assert cash.label == "Cash and Cash Equivalents, at Carrying Value"
    assert cash.concept == "us-gaap:CashAndCashEquivalentsAtCarryingValue"


def test_filing_metadata(lxml_filings) -> None:
    apple: Filing = lxml_filings["apple-10q-2025-03-29"]
    assert apple.entity_name == "Apple Inc."
    assert apple.document_type == "10-Q"
    assert (apple.fiscal_year_focus, apple.fiscal_period_focus) == (2025, "Q2")
    assert apple.period_end == date(2025, 3, 29)
    assert apple.cik == "0000320193"
    revenue = (apple.facts.query().concept("RevenueFromContractWithCustomerExcludingAssessedTax")
               .duration("2024-12-29", "2025-03-29").without_dimensions().first())
    assert revenue is not None and revenue.numeric == Decimal("95359000000")


def test_units_are_normalised_by_namespace(lxml_filings) -> None:
    units = {f.unit for f in lxml_filings["apple-10q-2025-03-29"].facts}
    assert {"USD", "shares", "USD/shares", "pure", "aapl:Vendor"} <= units


def test_dimensions(lxml_filings) -> None:
    tesla = lxml_filings["tesla-10q-2024-06-30"]
    facts = tesla.facts.query().dimension("us-gaap:PropertyPlantAndEquipmentByTypeAxis",
                                         "tsla:SolarEnergySystemsMember").all()
    assert facts and all(f.has_dimensions for f in facts)
    axis = ("us-gaap:RevenueRemainingPerformanceObligationExpectedTimingOf"
            "SatisfactionStartDateAxis")
    typed = tesla.facts.query().dimension(axis).all()
    assert typed and all(date.fromisoformat(f.dimensions[axis]) for f in typed)
    assert sum(f.has_dimensions for f in tesla.facts) == 566


def test_calculation_children(lxml_filings) -> None:
    tesla = lxml_filings["tesla-10q-2024-06-30"]
    assets = [c for c in tesla.calculations if c.parent == "us-gaap:AssetsCurrent"]
    assert assets
    children = dict(assets[0].children)
    assert children["us-gaap:CashAndCashEquivalentsAtCarryingValue"] == 1.0
    assert children["us-gaap:InventoryNet"] == 1.0


def test_query_exports(tmp_path, lxml_filings) -> None:
    query = lxml_filings["tesla-10q-2024-06-30"].facts.query().prefix("dei")
    records = query.to_records()
    assert len(records) == 29 and records[0]["concept"].startswith("dei:")
    assert len(query.to_jsonl(tmp_path / "f.jsonl").read_text().splitlines()) == 29
    assert len(query.to_csv(tmp_path / "f.csv").read_text().splitlines()) == 30
    frame = query.to_dataframe()
    assert len(frame) == 29
    query.to_parquet(tmp_path / "f.parquet")
    import pandas as pd

    assert len(pd.read_parquet(tmp_path / "f.parquet")) == 29
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.csv", "f.jsonl", "f.parquet"]


def test_exports_without_pandas_say_what_to_install(tmp_path, monkeypatch, lxml_filings) -> None:
    from finlora.errors import FinloraError

    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    query = lxml_filings["tesla-10q-2024-06-30"].facts.query().prefix("dei")
    with pytest.raises(FinloraError, match=r"pip install 'finlora\[data\]'"):
        query.to_parquet(tmp_path / "f.parquet")
    assert list(tmp_path.iterdir()) == []


def test_deduplication(lxml_filings) -> None:
    facts = lxml_filings["apple-10q-2025-03-29"].facts
    unique = facts.deduplicated()
    assert 0 < len(unique) < len(facts)
    assert len({f.key() for f in unique}) == len(unique)


def test_metalinks_gives_real_types_to_stubs(tmp_path) -> None:
    from finlora.xbrl.safe_xml import parse_xml
    from finlora.xbrl.stubs import find_schema_ref, plan_stubs, write_stubs

    gaap, gaap_2023 = "http://fasb.org/us-gaap/2024", "http://fasb.org/us-gaap/2023"
    plans = {}
    for name in ("apple-10q-2025-03-29", "tesla-10q-2024-06-30"):  # with / without MetaLinks
        entry = next((FILINGS / name).glob("*_htm.xml"))
        root = parse_xml(entry)
        plans[name] = plan_stubs(entry, root, find_schema_ref(entry, root))
    apple = plans["apple-10q-2025-03-29"].concepts[gaap]
    assert apple["EarningsPerShareBasic"].item_type == "dtr-types:perShareItemType"
    assert apple["Assets"].balance == "debit"
    tesla = plans["tesla-10q-2024-06-30"].concepts[gaap_2023]
    assert tesla["EarningsPerShareBasic"].item_type == "xbrli:decimalItemType"
    assert tesla["Assets"].balance is None
    written = write_stubs(plans["apple-10q-2025-03-29"], tmp_path,
                          lambda url: str(tmp_path / url.partition("://")[2]), lambda url: False)
    url = "https://xbrl.fasb.org/us-gaap/2024/elts/us-gaap-2024.xsd"
    assert url in written
    text = (tmp_path / url.partition("://")[2]).read_text()
    assert 'id="us-gaap_Assets"' in text and 'xbrli:balance="debit"' in text
    assert "dtr/type/2022-03-31/types.xsd" in text


def test_taxonomy_package_is_used(tmp_path, arelle_filings) -> None:
    import shutil
    import zipfile

    source = FILINGS.parent.parent / "tests" / "xbrl" / "data" / "srt-2024"
    package = tmp_path / "srt-2024.zip"
    with zipfile.ZipFile(package, "w") as archive:
        for path in source.rglob("*"):
            if path.is_file():
                archive.write(path, str(path.relative_to(source.parent)))
    folder = tmp_path / "filing"
    shutil.copytree(FILINGS / "globalarena-10q-2024-09-30", folder)
    filing = load_filing(folder, engine="arelle", taxonomy_packages=[package])
    assert len(filing.facts) == 899
    srt = "https://xbrl.fasb.org/srt/2024/elts/srt-2024.xsd"
    assert srt in arelle_filings["globalarena-10q-2024-09-30"].stub_schemas  # stubbed without
    assert srt not in filing.stub_schemas  # the real SRT schema came from the package
    again = load_filing(folder, engine="arelle")  # the package is not left active
    assert srt in again.stub_schemas and len(again.facts) == 899
    assert "https://xbrl.fasb.org/us-gaap/2024/elts/us-gaap-2024.xsd" in filing.stub_schemas
    ranged = filing.facts.query().dimension("srt:RangeAxis", "srt:MaximumMember").all()
    assert {str(f.numeric) for f in ranged if f.unit} == {"0.0555", "2.7955", "0.12", "0.03"}



def test_import_is_light_and_lxml_loads_never_import_arelle() -> None:
    import subprocess

    code = ("import sys, time; t = time.perf_counter(); import finlora.xbrl as x; "
            "took = time.perf_counter() - t; "
            f"x.load_filing({str(FILINGS / 'tesla-10q-2024-06-30')!r}); "
            "heavy = [m for m in ('arelle', 'torch', 'pandas') if m in sys.modules]; "
            "print(took, heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True).stdout.split(maxsplit=1)
    assert float(out[0]) < 2.0 and out[1].strip() == "[]"
