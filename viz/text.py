"""Text inside labels: numbers shown exactly (but never endlessly) and user text escaped for DOT."""

from __future__ import annotations

import numbers
import unicodedata
from fractions import Fraction
from typing import Any

from autodiff import Value, format_number

from .readability import MAX_NAME_CHARS

MAX_NUMBER_CHARS = 32
"""An exact number longer than this is shown rounded, with `≈`, so one node cannot fill a page."""


MINUS = "\u2212"

FLOAT_DIGITS = 4
"""Floats are shown to this many significant digits, as the tables print them; exact numbers exactly."""


def number(x: Any) -> str:
    """`1/200`, `-3/11600`, `0.4828`; a huge exact fraction as `≈1.2345e+67`."""
    if isinstance(x, numbers.Real) and not isinstance(x, numbers.Rational):
        # `g` switches to an exponent rather than round a small nonzero to 0, and keeps the sign.
        shown = f"{float(x):.{FLOAT_DIGITS}g}"
        return "0" if shown == "-0" else shown
    text = format_number(x)
    if len(text) > MAX_NUMBER_CHARS:
        try:
            return f"≈{float(x):.6g}"
        except (OverflowError, TypeError, ValueError):
            return text[: MAX_NUMBER_CHARS - 1] + "…"
    return text


def shown(x: Any) -> str:
    """`1/200`, `−3/11600`, `10⁻⁷`, `0.4828`: a number as the labels show it (a Value: its number)."""
    if isinstance(x, Value):  # with backward(create_graph=True) a δ is itself a Value
        x = x.data
    if isinstance(x, numbers.Rational) and not isinstance(x, bool):
        tens = _tens(Fraction(x))
        if tens is not None:
            return tens.replace("-", MINUS)
    return number(x).replace("-", MINUS)


def factor(x: Any) -> str:
    """A number inside a product: a negative one in parentheses, `(−1)`, so `δ · (−1)` reads right."""
    text = shown(x)
    return f"({text})" if text.startswith(MINUS) else text


SUPERSCRIPT = str.maketrans("0123456789-\u2212", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁻")


def superscript(exponent: int) -> str:
    """`⁻⁷` for -7: an integer exponent set as superscript digits, with a true minus."""
    return str(exponent).translate(SUPERSCRIPT)


def _tens(x: Fraction) -> str | None:
    """`10⁻⁷` for Fraction(1, 10**7), `3·10⁻⁷`, `10⁷/3`: a power of ten with many zeros, typeset."""
    sign, x = ("-", -x) if x < 0 else ("", x)
    k = _power_of_ten(x.denominator)
    if k is not None and k >= 5:
        return (
            f"{sign}10{superscript(-k)}" if x.numerator == 1 else f"{sign}{x.numerator}·10{superscript(-k)}"
        )
    k = _power_of_ten(x.numerator)
    if k is not None and k >= 5:
        return (
            f"{sign}10{superscript(k)}" if x.denominator == 1 else f"{sign}10{superscript(k)}/{x.denominator}"
        )
    return None


def _power_of_ten(n: int) -> int | None:
    n = abs(n)
    if n < 10:
        return None
    k = 0
    while n % 10 == 0:
        n //= 10
        k += 1
    return k if n == 1 else None


def negative(x: Any) -> bool:
    """`x < 0`, False for a number with no order (NaN-like, complex)."""
    try:
        return bool(x < 0)
    except TypeError:
        return False


def magnitude(x: Any) -> Any:
    """`abs(x)`, exact when `x` is, or None for a number with no size."""
    try:
        return abs(x)
    except TypeError:
        return None


def html(text: str) -> str:
    """Escape `text` for a Graphviz HTML-like label: `& < > " ]` become entities, newlines line breaks.

    Control characters (NUL, tab, ...) would make the SVG invalid XML, so they are shown as `\\xNN`.
    """
    out = []
    for ch in text:
        if ch == "&":
            out.append("&amp;")
        elif ch == "<":
            out.append("&lt;")
        elif ch == ">":
            out.append("&gt;")
        elif ch == '"':
            out.append("&quot;")
        elif ch == "]":
            out.append("&#93;")  # Graphviz's HTML reader fails on `]` right before a tag
        elif ch == "\n":
            out.append("<BR/>")
        elif unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"):
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def name(text: str | None) -> str:
    """A node's name, shortened to `MAX_NAME_CHARS` so a long name cannot stretch the drawing."""
    if text is None:
        return ""
    return text if len(text) <= MAX_NAME_CHARS else text[: MAX_NAME_CHARS - 1] + "…"


def attr(text: str) -> str:
    """`text` made safe as a quoted DOT attribute (a tooltip): no quote, backslash or control character.

    Graphviz reads backslashes in such strings as escapes (`\\N`, `\\l`) and a final one as the end
    of the quote, so they are shown as `∖`; quotes become `″`; control characters `\\xNN`-style text.
    """
    out = []
    for ch in text:
        if ch == "\\":
            out.append("∖")
        elif ch == '"':
            out.append("″")
        elif ch == "\n":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"):
            out.append(f"x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)
