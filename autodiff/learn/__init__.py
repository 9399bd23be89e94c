"""Learning on the engine: layers and models (`nn`), optimizers (`optim`), loops (`train`), data.

from autodiff.learn import MLP, SGD, fit
"""

from .nn import (
    MLP,
    Activation,
    CrossEntropy,
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
    Softmax,
    Softplus,
    Tanh,
    l2_penalty,
    softmax,
)
from .optim import SGD, Adam, Optimizer
from .train import History, Step, batch_learning, fit, gradient_descent

__all__ = [
    "MLP",
    "SGD",
    "Activation",
    "Adam",
    "CrossEntropy",
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
    "Softmax",
    "Softplus",
    "Step",
    "Tanh",
    "batch_learning",
    "fit",
    "gradient_descent",
    "l2_penalty",
    "softmax",
]
