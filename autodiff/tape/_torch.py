"""The torch backend of the batched replay, and `Tape.to_torch_module()` (torch imported here only).

The replay's code is the numpy replay's, rendered with torch's functions: no autograd is involved
(the δ code is already written), so tensors are made without `requires_grad`, in float64, on the
chosen device.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

from ..value import Value
from ._batched import ArrayDialect, ArrayOps, Batched, _ArrayModule, _names, array_versions


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError(
            "the torch backend needs PyTorch: pip install torch (or the project's torch extra), "
            "or use backend='numpy'"
        ) from None
    return torch


class _TorchOps(ArrayOps):
    def __init__(self) -> None:
        self.torch = _torch()
        self.fns = self.torch

    def t(self, x: Any) -> Any:
        torch = self.torch
        if isinstance(x, torch.Tensor):
            return x if x.dtype in (torch.float64, torch.bool) else x.double()
        return torch.tensor(x, dtype=torch.float64)

    def any(self, mask: Any) -> bool:
        if isinstance(mask, bool):
            return mask
        return bool(mask.any())

    def first(self, mask: Any) -> int:
        return int(self.torch.nonzero(mask.reshape(-1))[0, 0])

    def where(self, c: Any, a: Any, b: Any) -> Any:
        return _where(self.torch, c, a, b)


def _where(torch: Any, c: Any, a: Any, b: Any) -> Any:
    if not isinstance(c, torch.Tensor):
        return a if c else b
    device = c.device
    a = a if isinstance(a, torch.Tensor) else torch.tensor(a, dtype=torch.float64, device=device)
    b = b if isinstance(b, torch.Tensor) else torch.tensor(b, dtype=torch.float64, device=device)
    return torch.where(c, a, b)


@functools.cache
def torch_dialect() -> ArrayDialect:
    """The torch dialect (torch imported on first use)."""
    return ArrayDialect("torch", array_versions(_TorchOps()))


class _Torch(_ArrayModule):
    def __init__(self, device: str) -> None:
        torch = _torch()
        if device not in ("cpu", "cuda") and not str(device).startswith("cuda:"):
            raise ValueError(f"batched replay: device must be 'cpu' or 'cuda', got {device!r}")
        if str(device).startswith("cuda") and not torch.cuda.is_available():
            raise ValueError("batched replay: device='cuda' but torch sees no CUDA device; use device='cpu'")
        self.torch = torch
        self.device = torch.device(device)
        dev = self.device
        f64 = torch.float64

        def tensor(x: Any) -> Any:
            return x if isinstance(x, torch.Tensor) else torch.tensor(x, dtype=f64, device=dev)

        def stack_columns(*xs: Any) -> Any:
            return torch.stack(torch.broadcast_tensors(*[tensor(x) for x in xs]), 1)

        def one_column(d: Any, matrix: Any, j: int) -> Any:
            result = torch.zeros_like(matrix)
            result[:, j] = d
            return result

        self.namespace = {
            "where": functools.partial(_where, torch),
            "zeros_like": lambda x: torch.zeros_like(tensor(x)),
            "ones_like": lambda x: torch.ones_like(tensor(x)),
            "stack_columns": stack_columns,
            "one_column": one_column,
        }
        self._tensor = tensor
        # The seed as a float64 tensor: a δ then stays float64 even where it is multiplied by a
        # comparison (`d * (x >= 0)`), which torch would make float32 for a Python float d.
        self.one = torch.tensor(1.0, dtype=f64, device=dev)

    def column(self, column: Any, leaf: Value) -> Any:
        torch = self.torch
        if isinstance(column, torch.Tensor):
            if column.dtype.is_complex or column.dtype == torch.bool:
                raise TypeError(f"batched step: the data of {_names([leaf])} is not real numbers")
            array = column.to(device=self.device, dtype=torch.float64)
        else:
            if any(isinstance(x, Fraction) for x in _flat(column)):
                raise TypeError(
                    f"batched step: the data of {_names([leaf])} holds Fractions; Fractions do not batch "
                    "(tensors hold floats). Keep exact numbers with the scalar Tape (tape.gradients()), "
                    "sample by sample"
                )
            array = torch.as_tensor(column, dtype=torch.float64).to(self.device)
        if array.ndim != 1:
            raise ValueError(
                f"batched step: the data of {_names([leaf])} must be one number per sample (a 1-D array), "
                f"got shape {tuple(array.shape)}"
            )
        return array

    def array(self, numbers: list[Any], shape: tuple[int, ...]) -> Any:
        return self.torch.tensor(numbers, dtype=self.torch.float64, device=self.device).reshape(shape)

    def per_sample(self, out: Any, n: int) -> Any:
        return self._tensor(out).expand(n).clone()

    def reduce_one(self, g: Any, n: int) -> Any:
        if isinstance(g, self.torch.Tensor) and g.ndim:
            return g.sum()
        return self._tensor(g * n)

    def reduce(self, grads: Sequence[Any], n: int) -> Any:
        if not grads:
            return self.torch.zeros(0, dtype=self.torch.float64, device=self.device)
        return self.torch.stack([self.reduce_one(g, n) for g in grads])

    def gather(self, grads: Sequence[Any], destinations: Sequence[Sequence[int]], size: int) -> Any:
        torch = self.torch
        result = torch.zeros(size, dtype=torch.float64, device=self.device)
        for g, where in zip(grads, destinations, strict=True):
            result[torch.tensor(list(where), device=self.device)] = self._tensor(g).reshape(-1)
        return result

    def tolist(self, x: Any) -> list[float]:
        return [float(g) for g in x.reshape(-1).tolist()]

    def quiet(self) -> Any:
        return contextlib.nullcontext()

    def check(self, losses: Any, grads: Any, step: Batched) -> None:
        torch = self.torch
        finite = torch.isfinite(losses)
        if not bool(finite.all()):
            i = int(torch.nonzero(~finite)[0, 0])
            raise FloatingPointError(
                f"batched replay: sample {i}'s output is {float(losses[i])!r}; replay that sample with the "
                "plain path inside detect_anomaly() to find the operation"
            )
        finite = torch.isfinite(grads)
        if not bool(finite.all()):
            k = int(torch.nonzero(~finite)[0, 0])
            raise FloatingPointError(
                f"batched replay: the δ of inputs[{k}] ({_names([step.inputs[k]])}) is {float(grads[k])!r}; "
                "replay the samples with the plain path inside detect_anomaly() to find the operation"
            )


def _flat(column: Any) -> list[Any]:
    if isinstance(column, (list, tuple)):
        return [x for c in column for x in _flat(c)]
    tolist = getattr(column, "tolist", None)
    if callable(tolist) and getattr(column, "dtype", None) is not None and str(column.dtype) == "object":
        return list(column.ravel())
    return [column] if isinstance(column, Fraction) else []


def torch_module(output: Value, inputs: Sequence[Value], data: Sequence[Value]) -> Any:
    """An `nn.Module` whose forward is the recorded graph over batches; its parameters are the inputs."""
    torch = _torch()
    step = Batched(output, inputs, data, backend="torch", reduction="sum", device="cpu", fuse=True)
    return _module_class(torch)(step)


@functools.cache
def _module_class(torch: Any) -> type:
    class TapeModule(torch.nn.Module):  # type: ignore[misc]
        """The recorded forward as a PyTorch module: `module(x1=..., x2=...)` or `module(batch_dict)`.

        Each input Value of the Tape is one scalar `nn.Parameter` (initialised from its `.data`,
        in float64), so torch's optimisers, autograd and distributed tools work on it as usual.
        """

        def __init__(self, step: Batched):
            super().__init__()
            self._forward = _forward_function(step)
            self._data = step.data
            self._names = [v.name if v.name else f"x{k}" for k, v in enumerate(step.data)]
            self.params = torch.nn.ParameterList(
                [torch.nn.Parameter(torch.tensor(float(v.data), dtype=torch.float64)) for v in step.inputs]
            )

        def forward(self, batch: Any = None, **named: Any) -> Any:
            given = dict(batch or {}, **named)
            columns = []
            for v, name in zip(self._data, self._names, strict=True):
                column = given.get(name, given.get(v)) if not isinstance(batch, torch.Tensor) else None
                if column is None:
                    raise ValueError(f"TapeModule: no data for {name!r} (give one tensor per data leaf)")
                columns.append(torch.as_tensor(column, dtype=torch.float64))
            return self._forward(list(self.params), columns)

    return TapeModule


def _forward_function(step: Batched) -> Callable[[list[Any], list[Any]], Any]:
    """The replay's forward as a function of (parameter tensors, data columns), differentiable by torch."""
    from ._fuse import _Matrix

    run = step._run
    slots = step._slots
    leaves = step._leaves
    position = {id(v): k for k, v in enumerate(step.inputs)}
    torch = _torch()

    def forward(params: list[Any], columns: list[Any]) -> Any:
        numbers: list[Any] = []
        for slot, leaf in zip(slots, leaves, strict=True):
            if slot >= 0:
                numbers.append(columns[slot])
            elif isinstance(leaf, _Matrix):
                rows = [torch.stack([params[position[id(v)]] for v in row]) for row in leaf.rows]
                matrix = torch.stack(rows)
                numbers.append(matrix.reshape(-1) if leaf.vector else matrix)
            elif id(leaf) in position:
                numbers.append(params[position[id(leaf)]])
            else:
                numbers.append(float(leaf.data))
        out, _ = run(numbers, None, False)
        n = len(columns[0]) if columns else 1
        return out if isinstance(out, torch.Tensor) and out.ndim else torch.as_tensor(out).expand(n)

    return forward
