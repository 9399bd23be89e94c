"""Learning on the engine: layers and models (`nn`), optimizers (`optim`), loops (`train`), data.

from autodiff.learn import MLP, SGD, fit
"""

from .nn import (
    MLP,
    HalfSquaredError,
    Input,
    Layer,
    Linear,
    MaxMargin,
    Module,
    Neuron,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
    l2_penalty,
)
from .optim import SGD, Adam, Optimizer
from .train import History, Step, batch_learning, fit, gradient_descent

__all__ = [
    "MLP",
    "SGD",
    "Adam",
    "HalfSquaredError",
    "History",
    "Input",
    "Layer",
    "Linear",
    "MaxMargin",
    "Module",
    "Neuron",
    "Optimizer",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Step",
    "Tanh",
    "batch_learning",
    "fit",
    "gradient_descent",
    "l2_penalty",
]
