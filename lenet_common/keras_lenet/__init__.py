"""LeNet-5 in Keras 3: ``model`` (the network and a look inside it), ``train``
(compile for the recipe, the input pipeline, fit) and ``io`` (weights in and
out in the book's layout, predictions: the surface the three implementations
share). Every function takes the book's NCHW images.

Importing it imports TensorFlow, so ``lenet_common`` itself never imports it.
"""

from lenet_common.keras_lenet.io import (
    get_params,
    gradients,
    load_weights,
    predict,
    predict_logits,
    save_weights,
    set_params,
)
from lenet_common.keras_lenet.model import (
    INPUT_SHAPE,
    build_lenet5,
    build_model,
    device_name,
    gpu_visible,
    keras,
    layer_outputs,
    layer_rows,
    onednn_enabled,
    summary_text,
    tf,
    to_channels_last,
)
from lenet_common.keras_lenet.train import (
    DivergenceGuard,
    EpochLog,
    TrainingRun,
    compile_lenet5,
    fit_lenet5,
    make_dataset,
    step_function,
    train,
)

__all__ = [
    "DivergenceGuard",
    "EpochLog",
    "INPUT_SHAPE",
    "TrainingRun",
    "build_lenet5",
    "build_model",
    "compile_lenet5",
    "device_name",
    "fit_lenet5",
    "get_params",
    "gpu_visible",
    "gradients",
    "keras",
    "layer_outputs",
    "layer_rows",
    "load_weights",
    "make_dataset",
    "onednn_enabled",
    "predict",
    "predict_logits",
    "save_weights",
    "set_params",
    "step_function",
    "summary_text",
    "tf",
    "to_channels_last",
    "train",
]
