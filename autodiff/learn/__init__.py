"""Learning on the engine: layers and models (`nn`), optimizers (`optim`), loops (`train`), data.

from autodiff.learn import MLP, SGD, fit
"""

from .nn import (
    MLP,
    Activation,
    HalfSquaredError,
    Input,
    Layer,
    LeakyReLU,
    Linear,
    MaxMargin,
    Module,
    Neuron,
    ReLU,
    Sequential,
    Sigmoid,
    Softplus,
    Tanh,
    l2_penalty,
)
from .optim import SGD, Adam, Optimizer
from .train import History, Step, batch_learning, fit, gradient_descent

__all__ = [
    "MLP",
    "SGD",
    "Activation",
    "Adam",
    "HalfSquaredError",
    "History",
    "Input",
    "Layer",
    "LeakyReLU",
    "Linear",
    "MaxMargin",
    "Module",
    "Neuron",
    "Optimizer",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softplus",
    "Step",
    "Tanh",
    "batch_learning",
    "fit",
    "gradient_descent",
    "l2_penalty",
]
