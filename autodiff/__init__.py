"""autodiff: scalar reverse-mode automatic differentiation that keeps exact numbers exact."""

from . import ops
from .backward import topological_order
from .exact import format_number, is_exact
from .functional import grad, gradients, hessian, value_and_grad
from .gradcheck import GradcheckError, GradcheckReport, gradcheck
from .modes import detect_anomaly, enable_grad, is_grad_enabled, layer, no_grad
from .ops import Primitive, primitive
from .tape import Tape
from .value import Value, zero_grad

__all__ = [
    "GradcheckError",
    "GradcheckReport",
    "Primitive",
    "Tape",
    "Value",
    "detect_anomaly",
    "enable_grad",
    "format_number",
    "grad",
    "gradcheck",
    "gradients",
    "hessian",
    "is_exact",
    "is_grad_enabled",
    "layer",
    "no_grad",
    "ops",
    "primitive",
    "topological_order",
    "value_and_grad",
    "zero_grad",
]
__version__ = "0.1.0"
