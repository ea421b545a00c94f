"""Exact, deterministic answer parsing shared by the tasks.

- Labels: normalised text, whole-word matches only; the earliest match wins and, at the same
  position, the longest label (so "mildly positive" beats "positive", and a tag never matches
  a longer tag it is a prefix of). No hash-order tie-breaking anywhere.
- Numbers: commas, currency signs, parentheses negatives and scale words are understood, and
  values are compared as `Decimal`s.
- Formulas: arithmetic parsed with `ast` (numbers, + - * / **, parentheses); never `eval`.
"""

from __future__ import annotations

import ast
import operator
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal, DivisionByZero, InvalidOperation, getcontext, localcontext

getcontext().prec = 40

_SPACE = re.compile(r"\s+")
_NUMBER = re.compile(r"(?P<open>\()?\s*(?P<sign>[-−])?\s*[$€£]?\s*(?P<digits>\d[\d,]*(?:\.\d+)?)"
                     r"(?:\s*(?P<scale>thousand|million|billion|trillion|bn|mn|[kmb])\b)?"
                     r"(?P<close>\s*\))?", re.IGNORECASE)
_SCALES = {"thousand": 10**3, "k": 10**3, "million": 10**6, "m": 10**6, "mn": 10**6,
           "billion": 10**9, "b": 10**9, "bn": 10**9, "trillion": 10**12}


def normalise(text: str) -> str:
    """Lower-case, collapse whitespace, drop surrounding punctuation and quotes."""
    return _SPACE.sub(" ", text.lower()).strip(" \t\n.,;:!?\"'`*()[]{}")


def match_label(text: str, labels: Sequence[str]) -> str | None:
    """The label the answer names: earliest whole-word match, longest at equal position."""
    answer = normalise(text)
    best: tuple[int, int, str] | None = None
    for label in labels:
        pattern = r"(?<![\w-])" + re.escape(normalise(label)) + r"(?![\w-])"
        found = re.search(pattern, answer)
        if found is None:
            continue
        key = (found.start(), -len(label), label)
        if best is None or key < best:
            best = key
    return best[2] if best else None


def strip_prefix(tag: str) -> str:
    """`us-gaap:Assets` → `Assets`."""
    return tag.strip().rpartition(":")[2]


def match_tag(token: str, tags: Iterable[str]) -> str | None:
    """One tag answer against a tag set: exact match, case- and prefix-insensitive only."""
    wanted = strip_prefix(token).strip(" .,;:\"'`").lower()
    for tag in tags:
        if strip_prefix(tag).lower() == wanted:
            return tag
    return None


def parse_number(text: str) -> Decimal | None:
    """The first number in `text`, with scale words applied: "$1,234.5 million" → 1234500000;
    "(12)" and "-12" are negative."""
    found = _NUMBER.search(text)
    if found is None:
        return None
    try:
        value = Decimal(found["digits"].replace(",", ""))
    except InvalidOperation:
        return None
    if found["scale"]:
        value *= _SCALES[found["scale"].lower()]
    negative = bool(found["sign"]) or bool(found["open"] and found["close"])
    return -value if negative else value


_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.Pow: operator.pow}


def evaluate_formula(text: str) -> Decimal | None:
    """Evaluate an arithmetic expression safely (no names, calls or attributes); None if the
    text is not such an expression or divides by zero."""
    expression = text.strip().replace(",", "").replace("×", "*").replace("÷", "/")
    expression = expression.split("=")[-1].strip() if "=" in expression else expression
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError:
        return None

    def walk(node: ast.AST) -> Decimal:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return Decimal(str(node.value))
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            if isinstance(node.op, ast.Pow):
                exponent = walk(node.right)
                if abs(exponent) > 64:
                    raise ValueError("exponent too large")
                return walk(node.left) ** exponent
            return _OPS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            value = walk(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        raise ValueError(f"not arithmetic: {ast.dump(node)[:40]}")

    try:
        return walk(tree)
    except (ValueError, DivisionByZero, InvalidOperation, ZeroDivisionError, OverflowError):
        return None


def numbers_equal(a: Decimal | None, b: Decimal | None, places: int = 2) -> bool:
    """Equal as numbers, after rounding both to `places` decimals (for ratios)."""
    if a is None or b is None:
        return False
    if not (a.is_finite() and b.is_finite()):
        return False
    if max(a.adjusted(), b.adjusted()) > 60:  # beyond any amount in a filing: exact comparison
        return a == b
    quantum = Decimal(1).scaleb(-places)
    with localcontext() as context:
        context.prec = 80  # room for 61 integer digits and the decimals
        return a.quantize(quantum) == b.quantize(quantum)
