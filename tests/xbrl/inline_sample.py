"""A small hand-written inline XBRL document (Apple's schema), and its expected facts.

Every expected value is written by hand from the Inline XBRL 1.1 and transformation registry
rules, not taken from either engine.
"""

from __future__ import annotations

import shutil
from pathlib import Path

HEAD = """<?xml version="1.0" encoding="utf-8"?>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:ix="http://www.xbrl.org/2013/inlineXBRL"
 xmlns:ixt="http://www.xbrl.org/inlineXBRL/transformation/2020-02-12"
 xmlns:ixt-sec="http://www.sec.gov/inlineXBRL/transformation/2015-08-31"
 xmlns:xbrli="http://www.xbrl.org/2003/instance" xmlns:link="http://www.xbrl.org/2003/linkbase"
 xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:us-gaap="http://fasb.org/us-gaap/2024"
 xmlns:dei="http://xbrl.sec.gov/dei/2024" xmlns:iso4217="http://www.xbrl.org/2003/iso4217"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><head><title>t</title></head><body>
"""
HEADER = """<div style="display:none"><ix:header>
<ix:hidden>
<ix:nonNumeric name="dei:DocumentType" contextRef="c1" id="h1">10-Q</ix:nonNumeric>
</ix:hidden>
<ix:references><link:schemaRef xlink:type="simple" xlink:href="aapl-20250329.xsd"/></ix:references>
<ix:resources>
<xbrli:context id="c1"><xbrli:entity><xbrli:identifier scheme="http://www.sec.gov/CIK">0000320193</xbrli:identifier></xbrli:entity><xbrli:period><xbrli:startDate>2024-12-29</xbrli:startDate><xbrli:endDate>2025-03-29</xbrli:endDate></xbrli:period></xbrli:context>
<xbrli:context id="c2"><xbrli:entity><xbrli:identifier scheme="http://www.sec.gov/CIK">0000320193</xbrli:identifier></xbrli:entity><xbrli:period><xbrli:instant>2025-03-29</xbrli:instant></xbrli:period></xbrli:context>
<xbrli:unit id="usd"><xbrli:measure>iso4217:USD</xbrli:measure></xbrli:unit>
<xbrli:unit id="shares"><xbrli:measure>xbrli:shares</xbrli:measure></xbrli:unit>
<xbrli:unit id="pure"><xbrli:measure>xbrli:pure</xbrli:measure></xbrli:unit>
<ix:relationship arcrole="http://www.xbrl.org/2003/arcrole/fact-footnote" fromRefs="n1" toRefs="fn1"/>
</ix:resources></ix:header></div>
"""
BODY_A = """<p>Net sales <ix:nonFraction name="us-gaap:RevenueFromContractWithCustomerExcludingAssessedTax" contextRef="c1" unitRef="usd" decimals="-6" scale="6" format="ixt:num-dot-decimal" id="n1">95,359</ix:nonFraction></p>
<p>Other (<ix:nonFraction name="us-gaap:OtherNonoperatingIncomeExpense" contextRef="c1" unitRef="usd" decimals="-6" scale="6" sign="-" format="ixt:num-dot-decimal" id="n2">279</ix:nonFraction>)</p>
<p>Rate <ix:nonFraction name="us-gaap:EffectiveIncomeTaxRateContinuingOperations" contextRef="c1" unitRef="pure" decimals="3" scale="-2" id="n3">24.5</ix:nonFraction>%</p>
<p>Shares <ix:nonFraction name="us-gaap:StockRepurchasedDuringPeriodShares" contextRef="c1" unitRef="shares" decimals="-5" scale="3" id="n4">2.0</ix:nonFraction></p>
<p>None <ix:nonFraction name="us-gaap:Goodwill" contextRef="c2" unitRef="usd" decimals="-6" scale="6" format="ixt:fixed-zero" id="n6">&#8212;</ix:nonFraction></p>
<p>Nil <ix:nonFraction name="us-gaap:AssetImpairmentCharges" contextRef="c1" unitRef="usd" xsi:nil="true" id="n7"/></p>
<p>Segments: <ix:nonFraction name="us-gaap:NumberOfReportableSegments" contextRef="c1" unitRef="pure" decimals="INF" format="ixt-sec:numwordsen" id="n8">five</ix:nonFraction></p>
<p><ix:nonNumeric name="dei:EntityRegistrantName" contextRef="c1" id="t2">Apple <ix:exclude>(the “Company”) </ix:exclude>Inc.</ix:nonNumeric></p>
<p><ix:nonNumeric name="dei:DocumentPeriodEndDate" contextRef="c1" id="t3" format="ixt:date-monthname-day-year-en">March
 29, 2025</ix:nonNumeric></p>
<div><ix:nonNumeric name="us-gaap:IncomeTaxDisclosureTextBlock" contextRef="c1" id="t1" escape="true" continuedAt="k1"><b style="a&amp;b" class="x">Income</b> taxes <ix:exclude><span>page 3</span></ix:exclude>were <ix:nonFraction name="us-gaap:IncomeTaxExpenseBenefit" contextRef="c1" unitRef="usd" decimals="-6" scale="6" format="ixt:num-dot-decimal" id="n5">1,234</ix:nonFraction> million.<br/></ix:nonNumeric></div>
<p><ix:footnote id="fn1">Includes <b>services</b>.</ix:footnote></p>
"""
BODY_B = """<div><ix:continuation id="k1" continuedAt="k2"><p>Continued &amp; more</p></ix:continuation></div>
<div><ix:continuation id="k2"> end.</ix:continuation></div>
"""
TAIL = "</body></html>\n"
DOCUMENT = HEAD + HEADER + BODY_A + BODY_B + TAIL

# id → (concept, value)
EXPECTED = {
    "h1": ("dei:DocumentType", "10-Q"),
    "n1": ("us-gaap:RevenueFromContractWithCustomerExcludingAssessedTax", "95359000000"),
    "n2": ("us-gaap:OtherNonoperatingIncomeExpense", "-279000000"),
    "n3": ("us-gaap:EffectiveIncomeTaxRateContinuingOperations", "0.245"),
    "n4": ("us-gaap:StockRepurchasedDuringPeriodShares", "2000.0"),
    "n6": ("us-gaap:Goodwill", "0"),
    "n7": ("us-gaap:AssetImpairmentCharges", ""),
    "n8": ("us-gaap:NumberOfReportableSegments", "5"),
    "t2": ("dei:EntityRegistrantName", "Apple Inc."),
    "t3": ("dei:DocumentPeriodEndDate", "2025-03-29"),
    "t1": ("us-gaap:IncomeTaxDisclosureTextBlock",
           '<b class="x" style="a&amp;b">Income</b> taxes were 1,234 million.<br/>'
           "<p>Continued &amp; more</p> end."),
    "n5": ("us-gaap:IncomeTaxExpenseBenefit", "1234000000"),
}
ORDER = ["h1", "n1", "n2", "n3", "n4", "n6", "n7", "n8", "t2", "t3", "t1", "n5"]
FOOTNOTES = {"n1": ["Includes services."]}


def schema_folder(apple: Path, target: Path) -> Path:
    """A folder with Apple's schema and linkbases (no instance, no inline document)."""
    target.mkdir(parents=True, exist_ok=True)
    for source in apple.iterdir():
        if source.suffix == ".xsd" or (source.suffix == ".xml" and not
                                       source.stem.endswith("_htm")):
            shutil.copy(source, target / source.name)
    return target
