"""LeNet-5 in PyTorch: ``model`` (the network and a look inside it), ``train``
(optimiser, one epoch, evaluation, a whole run), ``gpu_step`` (the training
step captured as a CUDA graph or compiled) and ``io`` (weights in and out in
the book's layout, predictions: the surface the three implementations share).

Importing it imports torch, so ``lenet_common`` itself never imports it.
"""

from lenet_common import lenet5
from lenet_common.torch_lenet.io import (
    get_params, gradients, load_weights, predict, predict_logits, save_weights, set_params,
)
from lenet_common.torch_lenet.model import (
    LayerInfo, LeNet5, build_model, compare_with_table, count_parameters, device_name,
    format_summary, layer_outputs, layer_summary,
)
from lenet_common.torch_lenet.train import (
    evaluate, make_optimizer, schedule_trace, step_function, time_batch_fetching, train,
    train_one_epoch,
)

__all__ = [
    "LeNet5",
    "count_parameters",
    "LayerInfo",
    "layer_summary",
    "format_summary",
    "compare_with_table",
    "layer_outputs",
    "make_optimizer",
    "schedule_trace",
    "train_one_epoch",
    "evaluate",
    "time_batch_fetching",
    *lenet5.SURFACE,  # the functions all three implementations share
]
