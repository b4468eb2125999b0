"""The 1998 appendix's code: LeNet-5 as the paper built and trained it.

``rbf_codes`` (the output's 7x12 bitmaps) and ``distortions`` (the paper's
random affine and elastic distortions) need only NumPy. ``model`` (the
network, its RBF output, loss and initialisation), ``sdlm`` (the stochastic
diagonal Levenberg-Marquardt step sizes), ``train`` (the paper's recipe and
training) and ``plots`` (the appendix's figures) import torch or matplotlib,
so this package imports none of them: import the module you need.
"""
