"""autodiff: scalar reverse-mode automatic differentiation that keeps exact numbers exact.

Layout, from the engine outwards:
- core: `value` (the `Value` node), `ops` (the table of primitives), `backward` (graph walks and the
  chain rule), `modes` (no_grad, layer, anomaly), `exact` (exact arithmetic), `checks` (validation);
- tools on the core: `functional` (grad, hessian), `trace` (rules run on symbols), `tape` (compiled
  replays), `gradcheck`, `check` (a hand derivation of the δs checked, with the mistake named);
- learning: `autodiff.learn` (nn, optim, train, datasets);
- teaching: `autodiff.articles` (the articles' example and its tables).
Drawing lives in the separate `viz` package, which reads graphs through the public API below.
"""

import sys as _sys

from . import ops
from .backward import leading_to, propagate, topological_order
from .check import DeltaMismatch, DeltaReport, Hint, assert_deltas, check_deltas
from .checks import check_number
from .exact import format_number, is_exact
from .functional import grad, gradients, hessian, value_and_grad
from .gradcheck import GradcheckError, GradcheckReport, gradcheck
from .modes import detect_anomaly, enable_grad, gc_paused, is_grad_enabled, layer, no_grad
from .ops import Primitive, primitive
from .tape import Tape
from .trace import trace_rule
from .value import Parameter, Value, max, min, sum, zero_grad  # noqa: A004 - the primitives' helpers

__all__ = [
    "DeltaMismatch",
    "DeltaReport",
    "GradcheckError",
    "GradcheckReport",
    "Hint",
    "Parameter",
    "Primitive",
    "Tape",
    "Value",
    "assert_deltas",
    "check_deltas",
    "check_number",
    "detect_anomaly",
    "enable_grad",
    "fit",
    "format_number",
    "gc_paused",
    "grad",
    "gradcheck",
    "gradients",
    "hessian",
    "is_exact",
    "is_grad_enabled",
    "layer",
    "leading_to",
    "max",
    "min",
    "no_grad",
    "ops",
    "primitive",
    "propagate",
    "sum",
    "topological_order",
    "trace_rule",
    "value_and_grad",
    "zero_grad",
]
__version__ = "0.2.0"

# The import paths of version 0.1 (autodiff.nn, autodiff.article, ...) still work: the same module
# objects, registered under their old names.
from . import learn as _learn  # after the core, which learn builds on
from .articles import gradient_descent as _gradient_descent
from .articles import tables as _tables
from .learn import datasets as _datasets
from .learn import nn as _nn
from .learn import optim as _optim
from .learn import train as _train
from .learn.train import fit  # micrograd users look for it at the top: autodiff.fit(model, loss, data, opt)

for _old, _module in {
    "nn": _nn,
    "optim": _optim,
    "train": _train,
    "datasets": _datasets,
    "article": _gradient_descent,
    "tables": _tables,
}.items():
    _sys.modules[f"{__name__}.{_old}"] = _module
    globals()[_old] = _module
del _learn, _old, _module
