"""Finding a standard line's fact: candidate tags in order, consolidated (non-dimensional)
unless dimensions are asked, in the policy's period; then fallbacks, a company extension the
presentation linkbase puts at that line, or a derivation — each said so in the value's notes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from finlora.xbrl.financials.concepts import StandardConcept
from finlora.xbrl.financials.periods import Period
from finlora.xbrl.financials.presentation import Presentation
from finlora.xbrl.financials.values import FactCitation, LineValue

STANDARD_NAMESPACES = ("fasb.org/us-gaap", "xbrl.org/ifrs")
_STRUCTURE = ("Abstract", "Axis", "Member", "Domain", "Table", "LineItems")


def is_standard(fact_or_namespace: Any) -> bool:
    namespace = getattr(fact_or_namespace, "namespace", fact_or_namespace) or ""
    return any(part in namespace for part in STANDARD_NAMESPACES)


class FactIndex:
    """The filing's numeric facts by concept local name (standard taxonomies) and QName."""

    def __init__(self, facts: Sequence[Any]) -> None:
        self.by_name: dict[str, list[Any]] = defaultdict(list)
        self.by_concept: dict[str, list[Any]] = defaultdict(list)
        for fact in facts:
            if fact.numeric is None or fact.is_nil:
                continue
            self.by_concept[fact.concept].append(fact)
            if is_standard(fact):
                self.by_name[fact.name].append(fact)

    def at(self, facts: list[Any], period: Period, dimensions: dict[str, str] | None
           ) -> list[Any]:
        wanted = dimensions or {}
        return [f for f in facts if period.matches(f) and _dims_match(f.dimensions, wanted)]

    def standard(self, name: str, period: Period, dimensions: dict[str, str] | None = None
                 ) -> list[Any]:
        return self.at(self.by_name.get(name, []), period, dimensions)

    def near(self, name: str, period: Period, days: int = 3) -> list[Any]:
        """Consolidated facts of a standard concept whose period is within `days` of
        `period` at both ends (a context a few days off the rest of the filing's)."""
        def close(fact: Any) -> bool:
            if period.start is None:
                return fact.instant is not None and abs((fact.instant - period.end).days) <= days
            return fact.instant is None and fact.period_start is not None and \
                abs((fact.period_start - period.start).days) <= days and \
                abs((fact.period_end - period.end).days) <= days

        return [f for f in self.by_name.get(name, []) if not f.dimensions and close(f)]

    def concept(self, concept: str, period: Period, dimensions: dict[str, str] | None = None
                ) -> list[Any]:
        return self.at(self.by_concept.get(concept, []), period, dimensions)


def face_facts(index: FactIndex, concept: str, period: Period, members: set[str]
               ) -> list[Any]:
    """The consolidated fact of `concept`, else the facts a statement shows on its face with
    one of its own axis/member pairs (e.g. Tesla's "Operating lease vehicles, net" is
    DeferredCostsLeasingNetNoncurrent with a PP&E-type member), all on one axis."""
    plain = index.concept(concept, period)
    if plain or not members:
        return plain[:1]
    dimensional = [f for f in index.by_concept.get(concept, []) if period.matches(f)
                   and len(f.dimensions) == 1 and set(f.dimensions.items()) <= _pairs(members)]
    axes = {next(iter(f.dimensions)) for f in dimensional}
    if len(axes) != 1:
        return []
    unique = {next(iter(f.dimensions.values())): f for f in dimensional}
    return list(unique.values())


def _pairs(members: set[str]) -> set[tuple[str, str]]:
    axes = [m for m in members if m.endswith("Axis")]
    return {(a, m) for a in axes for m in members if m.endswith("Member")}


def _dims_match(have: dict[str, str], want: dict[str, str]) -> bool:
    if len(have) != len(want):
        return False
    for axis, member in want.items():
        found = next((v for k, v in have.items() if k == axis or k.endswith(f":{axis}")), None)
        if found is None or not (found == member or found.endswith(f":{member}")):
            return False
    return True


def value_of(line: StandardConcept, facts: list[Any], period: Period, source: str,
             notes: list[str], filing_label: str | None) -> LineValue:
    """One value from the facts of one concept and period (repeats agree; else the most
    precise, with a note)."""
    values = {f.numeric for f in facts}
    chosen = max(facts, key=lambda f: (f.decimals is None, f.decimals or 0))
    if len(values) > 1:
        notes = [*notes, f"{chosen.concept} reported with different values "
                 f"{sorted(str(v) for v in values)}; the most precise is used"]
    return LineValue(line.key, line.label, chosen.concept, chosen.numeric, chosen.unit,
                     chosen.decimals, period, source,  # type: ignore[arg-type]
                     (FactCitation.of(chosen),), filing_label, tuple(notes), chosen)


def find_extension(line: StandardConcept, index: FactIndex, period: Period,
                   presentation: Presentation, labels: dict[str, str]) -> tuple[str, str] | None:
    """(concept, label) of a company-extension concept that the line's statement presents
    with a label matching the line (e.g. `tsla:AutomotiveRevenues` would not match revenue;
    `xyz:TotalNetRevenues` labelled "Total net revenues" would)."""
    role = presentation.statement_role(line.statement)
    if role is None:
        return None
    pattern = line.label_pattern()
    for item in presentation.roles.get(role, []):
        concept = item.concept
        if concept.rpartition(":")[0] in ("us-gaap", "dei", "srt", "ifrs-full") or \
                concept.endswith(_STRUCTURE):
            continue
        if not index.concept(concept, period):
            continue
        # the filing's standard / terse label first, then the label this statement shows
        for text in (labels.get(concept), presentation.label(concept, item.preferred_label)):
            if text and pattern.match(text.lower().strip(" :")):
                return concept, text
    return None
