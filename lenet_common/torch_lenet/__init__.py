"""LeNet-5 in PyTorch: ``model`` (the network and a look inside it), ``train``
(optimiser, one epoch, evaluation, a whole run), ``gpu_step`` (the training
step captured as a CUDA graph or compiled) and ``io`` (weights in and out in
the book's layout, predictions: the surface the three implementations share).

Importing it imports torch, so ``lenet_common`` itself never imports it.
"""

from lenet_common.torch_lenet.io import (
    get_params,
    gradients,
    load_weights,
    predict,
    predict_logits,
    save_weights,
    set_params,
)
from lenet_common.torch_lenet.model import (
    LayerInfo,
    LeNet5,
    build_model,
    compare_with_table,
    count_parameters,
    device_name,
    format_summary,
    layer_outputs,
    layer_summary,
)
from lenet_common.torch_lenet.train import (
    evaluate,
    make_optimizer,
    schedule_trace,
    step_function,
    time_batch_fetching,
    to_training_device,
    train,
    train_batches,
    train_one_epoch,
)

__all__ = [
    "LayerInfo",
    "LeNet5",
    "build_model",
    "compare_with_table",
    "count_parameters",
    "device_name",
    "evaluate",
    "format_summary",
    "get_params",
    "gradients",
    "layer_outputs",
    "layer_summary",
    "load_weights",
    "make_optimizer",
    "predict",
    "predict_logits",
    "save_weights",
    "schedule_trace",
    "set_params",
    "step_function",
    "time_batch_fetching",
    "to_training_device",
    "train",
    "train_batches",
    "train_one_epoch",
]
