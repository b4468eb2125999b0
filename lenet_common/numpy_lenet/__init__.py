"""LeNet-5 from scratch in NumPy: layers with hand-derived backward passes,
the model, SGD, a training loop, gradient checking and ``.npz`` weights.

Modules: ``layers`` (forward/backward pairs), ``im2col`` (the fast
convolution's data layout), ``naive`` (loop references), ``model``,
``optim``, ``train``, ``gradcheck``, ``io``, ``profiling`` (timing training
steps layer by layer) and ``pictures`` (the chapter's figures; imports
matplotlib, so it is not imported here).
"""

from .gradcheck import numerical_gradient, numerical_gradient_of_layer, rel_error, rel_error_norm
from .io import load_model, load_weights, save_weights
from .model import LAYER_NAMES, PARAM_SHAPES, LeNet5
from .optim import SGD, cosine_lr
from .train import evaluate, train

__all__ = [
    "LeNet5", "PARAM_SHAPES", "LAYER_NAMES", "SGD", "cosine_lr", "train", "evaluate",
    "numerical_gradient", "numerical_gradient_of_layer", "rel_error", "rel_error_norm",
    "save_weights", "load_weights", "load_model",
]
