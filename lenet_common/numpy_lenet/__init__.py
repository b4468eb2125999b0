"""LeNet-5 from scratch in NumPy: layers with hand-derived backward passes,
the model, SGD, a training loop, gradient checking and ``.npz`` weights.

Modules: ``layers`` (forward/backward pairs), ``im2col`` (the fast
convolution's data layout), ``naive`` (loop references), ``model``,
``optim``, ``train``, ``gradcheck``, ``io`` (weights in and out), ``hooks``
(code run around each layer from outside), ``profiling`` (timing training
steps layer by layer) and ``pictures`` (the chapter's figures; imports
matplotlib, so it is not imported here).

``build_model``, ``train``, ``step_function``, ``device_name``,
``get_params``, ``set_params``, ``predict_logits``, ``predict``,
``gradients``, ``save_weights`` and ``load_weights`` are the surface all
three implementations share (:data:`lenet_common.lenet5.SURFACE`).
"""

from .gradcheck import (
    numerical_gradient,
    numerical_gradient_of_layer,
    rel_error,
    rel_error_norm,
)
from .io import get_params, load_weights, save_weights, set_params
from .model import LeNet5, build_model, device_name, gradients, predict, predict_logits
from .optim import SGD
from .train import evaluate, step_function, train, train_one_epoch

__all__ = [
    "LeNet5",
    "SGD",
    "build_model",
    "device_name",
    "evaluate",
    "get_params",
    "gradients",
    "load_weights",
    "numerical_gradient",
    "numerical_gradient_of_layer",
    "predict",
    "predict_logits",
    "rel_error",
    "rel_error_norm",
    "save_weights",
    "set_params",
    "step_function",
    "train",
    "train_one_epoch",
]
