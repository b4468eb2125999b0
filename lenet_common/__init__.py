"""lenet_common: the helper package every chapter of the LeNet-5 book imports.

Importing it is cheap and never imports torch or TensorFlow; the framework
models live in ``lenet_common.torch_lenet`` and ``lenet_common.keras_lenet``,
imported only by the chapters that use them.
"""

__version__ = "0.1.0"
