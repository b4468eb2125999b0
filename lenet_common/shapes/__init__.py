"""The shapes chapter's code: the arithmetic of layer sizes, and LeNet-5's table.

``arithmetic`` computes output sizes, parameters, MACs and receptive fields,
and builds the layer table of LeNet-5's variants; everything it exports is
re-exported here (``shapes.conv_output_size``, ``shapes.lenet5_table``, ...).
``plots`` draws the chapter's figures (it imports matplotlib).
"""

from lenet_common.shapes.arithmetic import *  # noqa: F403 (the chapter's names)
from lenet_common.shapes.arithmetic import __all__, _sliding_output  # noqa: F401
