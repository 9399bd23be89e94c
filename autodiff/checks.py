"""Validation in one place: what counts as a number, and the errors a bad input gets.

One rule everywhere: a `TypeError` when an argument is the wrong kind of thing (a str where a
number goes, a list where a Value goes); a `ValueError` when it is the right kind with a bad value
(a negative size, a NaN learning rate). Every message names what was wrong and what to write.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from typing import Any

from .exact import PLAIN_NUMBERS, Number, brief_number, format_number, is_finite


def shown(x: object) -> str:
    """`repr(x)` for error messages, with an int too long to print shortened (str() refuses 4,300+ digits)."""
    if isinstance(x, int) and not isinstance(x, bool):
        return brief_number(x)
    return repr(x)


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


def check_bool(x: object, what: str) -> bool:
    """Return `x` if it is True or False, else a TypeError (a string such as "no" is truthy)."""
    if isinstance(x, bool):
        return x
    raise TypeError(f"{what} must be True or False, got {type(x).__name__}: {shown(x)}")


def check_size(n: object, what: str) -> int:
    """Return `n` if it is an int >= 1 (a number of inputs, outputs or steps); TypeError or ValueError."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"{what} must be a positive int, got {type(n).__name__}: {shown(n)}")
    if n < 1:
        raise ValueError(f"{what} must be at least 1, got {n}")
    return int(n)


def check_real(
    x: object,
    what: str,
    *,
    low: Number | None = None,
    low_inclusive: bool = True,
    high: Number | None = None,
    high_inclusive: bool = True,
) -> Number:
    """Return `x` if it is a finite real number within the bounds given; TypeError or ValueError."""
    number = check_number(x, what)
    if not is_finite(number):
        raise ValueError(f"{what} must be a finite number, got {number!r}")
    too_low = low is not None and (number < low if low_inclusive else number <= low)
    too_high = high is not None and (number > high if high_inclusive else number >= high)
    if too_low or too_high:
        parts = []
        if low is not None:
            parts.append(f"{'>=' if low_inclusive else '>'} {format_number(low)}")
        if high is not None:
            parts.append(f"{'<=' if high_inclusive else '<'} {format_number(high)}")
        raise ValueError(f"{what} must be {' and '.join(parts)}, got {format_number(number)}")
    return number


class FloatRangeError(ValueError, OverflowError):
    """A number beyond a float's range (about 1.8e308) where a float is needed.

    A ValueError by the project's rule (the right kind of thing, a number, with a bad value) and an
    OverflowError as Python's float arithmetic raises there, so either `except` catches it.
    """


def fits_float(x: object) -> bool:
    """True if `float(x)` exists: False for an int or Fraction beyond a float's range (about 1.8e308)."""
    try:
        float(x)  # type: ignore[arg-type]
    except OverflowError:
        return False
    return True


def check_float(x: object, what: str) -> Number:
    """`check_number`, and a FloatRangeError (a ValueError) for a number beyond a float's range."""
    number = check_number(x, what)
    if not fits_float(number):
        raise FloatRangeError(
            f"{what} is {brief_number(number)}, beyond a float's range (about 1.8e308), and a float is "
            "needed here; pass a number within that range"
        )
    return number


GRAPH_CUT_HINT = (
    "a number computed from x.data (math.sin(x.data)), or not from the inputs at all, cuts the result off "
    "the graph; use autodiff's primitives instead: x.sin(), x.cos(), x.exp(), x.log(), x.sqrt(), x.tanh(), "
    "x.sigmoid() (or autodiff.ops.sin(x), ...)"
)
"""What to write instead when a function's result has lost its link to its inputs."""


def check_depends(who: str, result: object, reached: Iterable[bool], labels: Iterable[str]) -> None:
    """Refuse a result computed without its inputs: a plain number, or a Value reaching none of them.

    A derivative of such a result would be a silent 0 (JAX refuses `float()` on its tracers for the
    same reason): a TypeError when the result is a plain number, a ValueError naming the argument
    otherwise.
    """
    from .value import Value  # on the error path only: value imports this module

    if not isinstance(result, Value):
        raise TypeError(
            f"{who}: the function returned a plain {type(result).__name__} ({format_number(result)}), "
            f"not a Value computed from its argument, so its derivative would be a meaningless 0. "
            f"{GRAPH_CUT_HINT}"
        )
    reached, labels = list(reached), list(labels)
    missing = [label for label, ok in zip(labels, reached, strict=True) if not ok]
    # Some arguments unused while others are reached is ordinary (their derivatives are exactly 0,
    # as in PyTorch's allow_unused and JAX); only a result cut off from every argument is refused.
    if missing and len(missing) == len(labels):
        raise ValueError(
            f"{who}: the function's result does not depend on {', '.join(missing)}, so its derivative "
            f"would be a meaningless 0. If that is expected, leave it out of argnums; if not, "
            f"{GRAPH_CUT_HINT}"
        )


class NoGradientError(ValueError, RuntimeError):
    """Nothing that requires a gradient lies on the path asked about (a constant, a detached Value).

    A ValueError by the project's rule (the right kind of thing, a Value, in a state that cannot
    be differentiated) and a RuntimeError as PyTorch raises there, so either `except` catches it.
    """
