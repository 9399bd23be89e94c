"""Plain-number arithmetic that keeps exact numbers exact.

Python's own `/` and `**` turn two ints into a float (`1 / 200`, `2 ** -1`). The articles' numbers
are exact rationals, and a float rounding error flips the ReLU rule on their third patient, so every
division and power in autodiff goes through `exact_div` and `exact_pow` instead.
"""

from __future__ import annotations

import math
import numbers
from fractions import Fraction

Number = int | float | Fraction
"""The plain numbers a `Value` may hold: any real number type (int, Fraction, float, numpy scalars)."""


PLAIN_NUMBERS = frozenset({int, float, Fraction})
"""The number types accepted without further checks (the common, fast case)."""


def is_exact(x: object) -> bool:
    """True when `x` is an exact rational (int or Fraction), so arithmetic on it has no rounding."""
    kind = type(x)
    if kind is float:
        return False  # the common cases first: the ABC check below is many times slower
    return kind is int or kind is Fraction or isinstance(x, numbers.Rational)


def is_finite(x: object) -> bool:
    """False for NaN and infinities of any float type (float, numpy.float32, ...); True for exact numbers."""
    if type(x) is float:
        return math.isfinite(x)
    if is_exact(x):
        return True
    try:
        return math.isfinite(float(x))  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return True  # not a float kind: nothing to check here


def zero_like(x: Number) -> Number:
    """The number 0 of the same type as `x` (0, 0.0 or Fraction(0))."""
    return type(x)(0)


def one_like(x: Number) -> Number:
    """The number 1 of the same type as `x` (1, 1.0 or Fraction(1))."""
    return type(x)(1)


def exact_div(x: Number, y: Number) -> Number:
    """`x / y`, as a Fraction when both are exact; raises ZeroDivisionError naming the operation."""
    if y == 0:
        raise ZeroDivisionError(f"div: division by zero ({brief_number(x)} / {brief_number(y)})")
    if is_exact(x) and is_exact(y):
        return Fraction(x) / y
    return x / y


def exact_pow(x: Number, y: Number) -> Number:
    """`x ** y`, exact for an exact base and integer exponent; a float (or a clear error) otherwise."""
    if isinstance(y, Fraction) and y.denominator == 1:
        y = y.numerator
    if isinstance(y, int) and is_exact(x):
        if y >= 0:
            return x**y
        if x == 0:
            raise ZeroDivisionError(f"pow: 0 cannot be raised to the negative power {y}")
        return Fraction(x) ** y
    if x == 0 and y < 0:
        raise ZeroDivisionError(f"pow: 0 cannot be raised to the negative power {brief_number(y)}")
    if x < 0 and not float(y).is_integer():
        raise ValueError(
            f"pow: a negative base ({brief_number(x)}) raised to the non-integer power "
            f"{brief_number(y)} has no real result"
        )
    try:
        result = float(x) ** float(y) if is_exact(x) and is_exact(y) else x**y
    except OverflowError:
        raise OverflowError(f"pow: {brief_number(x)} ** {brief_number(y)} is too large for a float") from None
    return result


def format_number(x: object) -> str:
    """Short text for a number: exact values as fractions (`-3/11600`), floats as Python prints them.

    An integer too long to print (over 4,300 digits, Python's limit for int-to-str) is shown
    shortened with its exact number of digits: `≈1.99e6020 (6,021 digits)`.
    """
    if isinstance(x, numbers.Rational):
        if isinstance(x, int):
            return _format_int(x)
        numerator, denominator = int(x.numerator), int(x.denominator)
        if numerator.bit_length() > _LONG_BITS or denominator.bit_length() > _LONG_BITS:
            return f"{_format_int(numerator)}/{_format_int(denominator)}"
        return str(x)
    if isinstance(x, numbers.Real):
        return repr(float(x))
    return repr(x)


# Beyond this many bits an int may have more than 4,300 digits, where str() refuses it.
_LONG_BITS = 14_000
_SHOWN_DIGITS = 4_000


def _format_int(n: int) -> str:
    if n.bit_length() <= _LONG_BITS:
        return str(n)
    digits = decimal_digits(n)
    if digits <= _SHOWN_DIGITS:
        return str(n)
    return _shortened(n, digits)


def _shortened(n: int, digits: int) -> str:
    leading = abs(n) // 10 ** (digits - 3)  # the first three digits
    sign = "-" if n < 0 else ""
    return f"{sign}≈{leading // 100}.{leading % 100:02d}e{digits - 1} ({digits:,} digits)"


def brief_number(x: object) -> str:
    """`format_number`, with exact numbers of more than 30 digits shortened (for error messages)."""
    if not isinstance(x, numbers.Rational):
        return format_number(x)
    numerator, denominator = int(x.numerator), int(x.denominator)
    if max(numerator.bit_length(), denominator.bit_length()) > 100:
        parts = [numerator] if denominator == 1 else [numerator, denominator]
        return "/".join(
            str(p) if decimal_digits(p) <= 30 else _shortened(p, decimal_digits(p)) for p in parts
        )
    return format_number(x)


def decimal_digits(n: int) -> int:
    """The number of decimal digits of `n` (without its sign), exactly, for ints of any size."""
    n = abs(n)
    if n < 10:
        return 1
    guess = int(n.bit_length() * 0.30102999566398120)  # log10(2): exact or one short
    return guess + 1 if n >= 10**guess else guess
