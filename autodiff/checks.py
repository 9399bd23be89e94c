"""Validation in one place: what counts as a number, and the errors a bad input gets.

One rule everywhere: a `TypeError` when an argument is the wrong kind of thing (a str where a
number goes, a list where a Value goes); a `ValueError` when it is the right kind with a bad value
(a negative size, a NaN learning rate). Every message names what was wrong and what to write.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

from .exact import PLAIN_NUMBERS, Number, format_number, is_finite


def check_number(x: object, what: str = "Value") -> Number:
    """Return `x` if it is a real number autodiff can carry, else raise a TypeError naming its type."""
    if type(x) in PLAIN_NUMBERS:
        return x  # type: ignore[return-value]  # the common case, without the slower ABC checks below
    if isinstance(x, bool):
        raise TypeError(f"{what} got a bool ({x!r}); pass an int (0 or 1) if you mean a number")
    if isinstance(x, numbers.Real):
        if isinstance(x, numbers.Integral) and not isinstance(x, int):
            # Fixed-width integers (numpy.int64, ...) overflow silently; Python's int does not.
            return int(x)
        return x  # type: ignore[return-value]
    if isinstance(x, numbers.Complex):
        raise TypeError(f"{what} got a complex number ({x!r}); autodiff works on real numbers only")
    hint = " (did you mean float(...) or Fraction(...)?)" if isinstance(x, str) else ""
    raise TypeError(f"{what} needs a real number (int, float, Fraction), got {type(x).__name__}: {x!r}{hint}")


def check_finite(number: Number, what: str, inputs: Iterable[Any] = ()) -> None:
    """Raise FloatingPointError if `number` is NaN or infinite, naming `what` made it and from what."""
    if not is_finite(number):
        shown = ", ".join(describe(x) for x in inputs)
        raise FloatingPointError(f"{what} produced {number!r} from ({shown})")


def describe(x: Any) -> str:
    """`w2_1=1/200` for a named Value, its number otherwise (for error messages)."""
    from .value import Value  # on the error path only: value imports this module

    if isinstance(x, Value):
        return f"{x.name}={format_number(x.data)}" if x.name else format_number(x.data)
    return format_number(x)
