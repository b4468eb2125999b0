"""The "Why convolutions" chapter's code, and the chapters' pieces that teach the same idea.

Modules, one job each:

- ``counts``: what weight sharing saves, C1 as a dense and as a locally
  connected layer, counted from :mod:`lenet_common.shapes`;
- ``shifting``: moving digits by whole pixels;
- ``equivariance``: C1's maps of a digit and of the same digit shifted;
- ``sensitivity``: how much each layer's output changes when the input moves;
- ``baselines``: a linear classifier and multilayer perceptrons in NumPy;
- ``fitting``: the minimal training loop the baselines share with the recipe;
- ``fields``: where C3's receptive fields are centred, and C5 sliding over a
  larger input (the shapes chapter);
- ``momentum``: plain gradient descent and momentum on a 2-D bowl (the
  NumPy chapter);
- ``figures``: the figures of all of them (imports matplotlib, so it is not
  imported here).
"""
