"""lenet_common: the helper package every chapter of the LeNet-5 book imports.

One folder per part of the book (``data``, ``shapes``, ``numpy_lenet``,
``keras_lenet``, ``torch_lenet``, ``comparison``, ``lenet1998``,
``exercises``) around the modules the chapters share (``lenet5``,
``runtime``, ``plotting``, ``display``, ``numerics``), and ``plumbing`` that no reader
needs to open. Importing it is cheap and never imports torch or TensorFlow:
only ``torch_lenet``, ``keras_lenet`` and parts of ``lenet1998`` do, when a
chapter imports them.
"""

__version__ = "0.1.0"
