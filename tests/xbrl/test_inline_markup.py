"""Escaped markup: libxml2's C14N with fix-ups (`inline/markup.py`) against the Python walker
(`inline/text.py`, equal to Arelle on the bundled filings). Each case's markup is written by
hand from the rules (attributes sorted, `&` `<` `>` escaped in text, `&` `"` in attributes,
void elements `<br/>`, other empty ones `<td></td>`, nested ix tags give their content,
ix:exclude nothing); `fast` says whether the serialiser may answer or must leave it to the
walker."""

from __future__ import annotations

from pathlib import Path

import pytest

from finlora.xbrl.inline.document import read_inline_set
from finlora.xbrl.inline.text import inner_text

from .conftest import FILINGS
from .inline_sample import HEAD, TAIL

FACT = ('<ix:nonNumeric name="us-gaap:IncomeTaxDisclosureTextBlock" contextRef="c1" id="t1" '
        'escape="true">{}</ix:nonNumeric>')
NESTED = ('<ix:nonFraction name="us-gaap:Goodwill" contextRef="c1" unitRef="usd" decimals="0" '
          'id="n1">{}</ix:nonFraction>')
CASES = [  # content, its escaped markup, whether the serialiser answers
    ('<p style="a">x &amp; y</p><td colspan="2" style="b"/><br/><img src="i.png"/>x',
     '<p style="a">x &amp; y</p><td colspan="2" style="b"></td><br/><img src="i.png"/>x', True),
    (f'<td>$ {NESTED.format("1,234")}</td><td>{NESTED.format("")}</td>',
     "<td>$ 1,234</td><td></td>", True),
    ('<span title="say &quot;hi&quot;">"q" &lt; 1 &gt; 0</span>',
     '<span title="say &quot;hi&quot;">"q" &lt; 1 &gt; 0</span>', True),
    ("", "", True),
    ('<td style="b" colspan="2">x</td>', '<td colspan="2" style="b">x</td>', True),
    ('<span title="a>b" id="&gt;">1 &gt; 0</span>', '<span id=">" title="a>b">1 &gt; 0</span>',
     True),
    (NESTED.replace('id="n1"', 'id="n>1"').format("7") + '<br title="x"/>',
     '7<br title="x"/>', True),
    ("<p>an xml file</p>", "<p>an xml file</p>", False),
    (NESTED.replace('id="n1"', 'id="n1" xsi:nil="true"').format("") + "<p/>", "<p></p>", True),
    ('<a xlink:href="b" href="a">x</a>', '<a href="a" xlink:href="b">x</a>', False),
    ('<span title="a&lt;b">x</span>', '<span title="a<b">x</span>', False),
    ('<span title="a&#9;b">x</span>', '<span title="a\tb">x</span>', False),
    ("<span>a&#13;b</span>", "<span>a\rb</span>", False),
    (f"<br>{NESTED.format('')}</br><p/>", "<br/><p></p>", False),
    ("a<ix:exclude>b<br/></ix:exclude>c", "ac", False),
]


def _document(tmp_path: Path, content: str, head: str = HEAD) -> Path:
    path = tmp_path / "doc.htm"
    path.write_text(head + FACT.format(content) + TAIL, encoding="utf-8")
    return path


@pytest.mark.parametrize("content, expected, fast", CASES)
def test_serialiser_equals_the_walker(tmp_path, content, expected, fast) -> None:
    path = _document(tmp_path, content)
    found = read_inline_set([path])
    element = next(e for _, _, e in found.facts if e.get("id") == "t1")
    serialiser = found.serialisers[path]
    assert inner_text(element, escape=True) == expected
    assert serialiser.markup(element) == (expected if fast else None)
    assert inner_text(element, escape=True, fast=serialiser) == expected


def test_no_serialiser_with_a_doctype_or_a_second_prefix(tmp_path) -> None:
    doctype = ('<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
               '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n<html ')
    for head in (HEAD.replace("<html ", doctype, 1),
                 HEAD.replace("<html ", '<html xmlns:h="http://www.w3.org/1999/xhtml" ', 1)):
        path = _document(tmp_path, "<td/>", head)
        found = read_inline_set([path])
        assert path not in found.serialisers
        element = found.facts[0][2]
        assert inner_text(element, escape=True) == "<td></td>"


def test_serialiser_answers_for_every_apple_text_block() -> None:
    """On the real 10-Q the serialiser writes every part of every escaped fact (no fallback,
    so the speed is kept), equal to the walker's markup (itself equal to Arelle's)."""
    path = FILINGS / "apple-10q-2025-03-29" / "aapl-20250329.htm"
    found = read_inline_set([path])
    parts = []
    for _, _, element in found.facts:
        part = element if element.get("escape") == "true" else None
        while part is not None:
            parts.append(part)
            following = part.get("continuedAt")
            part = found.continuations[following][1] if following else None
    assert len(parts) == 36
    serialiser = found.serialisers[path]
    for part in parts:
        assert serialiser.markup(part) == inner_text(part, escape=True)


@pytest.mark.parametrize("content, expected, fast", [
    ('<h:p style="a" class="c"><h:br/>x</h:p><h:td/>', '<h:p class="c" style="a"><h:br/>x</h:p>'
     '<h:td></h:td>', True),
    ('<h:p h:style="a">x</h:p>', '<h:p h:style="a">x</h:p>', False),
])
def test_serialiser_with_a_prefixed_xhtml_namespace(tmp_path, content, expected, fast) -> None:
    head = HEAD.replace('<html xmlns="http://www.w3.org/1999/xhtml"',
                        '<h:html xmlns:h="http://www.w3.org/1999/xhtml"', 1)
    head = head.replace("<head><title>t</title></head><body>", "<h:body>")
    path = tmp_path / "doc.htm"
    path.write_text(head + FACT.format(content) + "</h:body></h:html>", encoding="utf-8")
    found = read_inline_set([path])
    element = next(e for _, _, e in found.facts if e.get("id") == "t1")
    serialiser = found.serialisers[path]
    assert inner_text(element, escape=True) == expected
    assert serialiser.markup(element) == (expected if fast else None)
