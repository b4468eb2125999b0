"""The 1998 paper's LeNet-5 in PyTorch: the network as LeCun et al. describe it.

What differs from the book's modern LeNet-5 (``torch_lenet.LeNet5``):

- the squashing function ``f(a) = 1.7159 tanh(2a/3)`` after every layer
  up to F6;
- S2 and S4 are *trainable* subsampling layers: each map's 2x2 sums are
  scaled by a coefficient and shifted by a bias, both learnt;
- C3 follows the paper's Table I: each of its 16 maps reads only some of
  S2's 6 maps (60 map pairs instead of 96);
- the output is 10 Euclidean RBF units with fixed +1/-1 centres (the 7x12
  digit pictures of :mod:`lenet_common.lenet1998.rbf_codes`): each outputs the squared
  distance from F6's 84 values to its centre, and the smallest wins;
- the loss is the paper's (a penalty on the right unit plus a term that
  pushes the others up), and the weights start uniform in +-2.4 / fan-in.

Importing this module imports torch, so ``lenet_common`` itself never does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lenet_common.lenet1998.rbf_codes import rbf_codes
from lenet_common.shapes import c3_connection_table

__all__ = [
    "A",
    "S",
    "squash",
    "block_sums",
    "Subsampling",
    "TableConv",
    "WholeInputConv",
    "RBF",
    "LeNet1998",
    "LAYER_NAMES",
    "layer_parameter_counts",
    "paper_loss",
    "rbf_cross_entropy",
    "LOSSES",
    "fan_ins",
    "paper_init_",
    "distort",
]

#: The squashing function's amplitude and slope, from the paper's Appendix A.
A = 1.7159
S = 2.0 / 3.0

#: The layers, in order, with the names of the shapes table (lower case).
LAYER_NAMES: tuple[str, ...] = ("c1", "s2", "c3", "s4", "c5", "f6", "output")


def squash(a: torch.Tensor) -> torch.Tensor:
    """The paper's sigmoid: ``f(a) = A tanh(S a)``, so that f(1) = 1 and f(-1) = -1."""
    return A * torch.tanh(S * a)


def block_sums(x: torch.Tensor) -> torch.Tensor:
    """The sum of each 2x2 block of every map (N, C, H, W) -> (N, C, H/2, W/2).

    Rows first, then columns, as strided slices: ``x[:, :, 0::2]`` holds the
    top row of every block at once (the NumPy chapter's average pooling
    does the same); on the CPU this beats ``4 * F.avg_pool2d(x, 2)``.
    """
    rows = x[:, :, 0::2] + x[:, :, 1::2]
    return rows[..., 0::2] + rows[..., 1::2]


class Subsampling(nn.Module):
    """S2/S4: per map, a trainable coefficient times each 2x2 sum, plus a bias."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.coefficient = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.coefficient.view(1, -1, 1, 1) * block_sums(x) + self.bias.view(
            1, -1, 1, 1
        )


def _connected_pairs(table: Sequence[Sequence[bool]]) -> torch.Tensor:
    """``o * in_maps + i`` for each connected pair, in the order (output map, input map)."""
    n_in, n_out = len(table), len(table[0])
    pairs = [o * n_in + i for o in range(n_out) for i in range(n_in) if table[i][o]]
    return torch.tensor(pairs, dtype=torch.long)


class TableConv(nn.Module):
    """A convolution whose output map ``o`` reads input map ``i`` if ``table[i][o]``.

    Only the connected kernels are parameters (``weight``: one ``k x k`` per
    connected pair). The forward pass places them into a full kernel, zeros
    elsewhere (no gradient: not parameters), and runs one ordinary convolution.
    """

    def __init__(self, table: Sequence[Sequence[bool]], kernel_size: int = 5) -> None:
        super().__init__()
        self.in_channels, self.out_channels = len(table), len(table[0])
        self.kernel_size = kernel_size
        pairs = _connected_pairs(table)  # flat (output map, input map) indices
        self.register_buffer("pairs", pairs, persistent=False)
        self.weight = nn.Parameter(torch.empty(len(pairs), kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(self.out_channels))
        nn.init.uniform_(self.weight, -0.1, 0.1)

    def full_weight(self) -> torch.Tensor:
        """The (out, in, k, k) kernel: connected kernels in place, zeros elsewhere."""
        k = self.kernel_size
        full = self.weight.new_zeros(self.out_channels * self.in_channels, k, k)
        full = full.index_copy(0, self.pairs, self.weight)
        return full.view(self.out_channels, self.in_channels, k, k)

    def fan_in(self) -> torch.Tensor:
        """How many inputs each output map's units add up: (connected maps) x k x k."""
        maps = torch.bincount(
            self.pairs // self.in_channels, minlength=self.out_channels
        )
        return maps * self.kernel_size**2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self.full_weight(), self.bias)


class WholeInputConv(nn.Conv2d):
    """A convolution whose kernel covers its whole input, as C5's 5x5 on S4's 5x5 maps.

    There is one output position, so the convolution is one matrix product of
    the flattened input with the flattened kernels: the same numbers, and on
    a CPU about three times faster than the general convolution routine.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[-2:]) != tuple(self.kernel_size):
            return super().forward(x)
        out = F.linear(x.flatten(1), self.weight.flatten(1), self.bias)
        return out[:, :, None, None]


class RBF(nn.Module):
    """Euclidean RBF units: ``y_i = sum_j (x_j - w_ij)^2`` with fixed centres ``w``.

    The centres are a buffer, not a parameter: they are saved with the
    model but never trained. The smaller ``y_i``, the more the input looks
    like class ``i``.
    """

    def __init__(self, centres: np.ndarray | torch.Tensor) -> None:
        super().__init__()
        self.register_buffer(
            "centres", torch.as_tensor(np.asarray(centres), dtype=torch.float32)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        diff = x[:, None, :] - self.centres[None, :, :]  # (N, classes, 84)
        return (diff * diff).sum(dim=2)


class LeNet1998(nn.Module):
    """LeNet-5 as in the 1998 paper: 32x32 input, 10 RBF distances out.

    ``forward`` returns the ten squared distances (smaller is better), not
    logits: ``predict`` is an ``argmin``, and :func:`rbf_cross_entropy`
    negates them to use them as logits.
    """

    def __init__(self, centres: np.ndarray | None = None) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, kernel_size=5)  # 1x32x32 -> 6x28x28
        self.s2 = Subsampling(6)  # -> 6x14x14
        self.c3 = TableConv(c3_connection_table(), kernel_size=5)  # -> 16x10x10
        self.s4 = Subsampling(16)  # -> 16x5x5
        self.c5 = WholeInputConv(16, 120, kernel_size=5)  # -> 120x1x1
        self.f6 = nn.Linear(120, 84)
        self.output = RBF(rbf_codes() if centres is None else centres)
        paper_init_(self)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """F6's 84 outputs (squashed): what the RBF units compare with their codes."""
        x = squash(self.s2(squash(self.c1(x))))
        x = squash(self.s4(squash(self.c3(x))))
        x = squash(self.c5(x)).flatten(1)  # N x 120 x 1 x 1 -> N x 120
        return squash(self.f6(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.features(x))


def layer_parameter_counts(model: nn.Module) -> dict[str, int]:
    """Trainable parameters per layer (c1 ... output), counted from the model."""
    children = dict(model.named_children())
    return {
        name: sum(p.numel() for p in children[name].parameters() if p.requires_grad)
        for name in LAYER_NAMES
    }


# -------------------------------------------------------------------------- losses


def paper_loss(
    distances: torch.Tensor, y: torch.Tensor, j: float = 1.0
) -> torch.Tensor:
    """The paper's criterion (its equation 9), averaged over the batch.

    ``E = y_D + log(exp(-j) + sum_i exp(-y_i))``: the distance of the right
    class ``D`` goes down; the log-sum-exp term pushes the other classes'
    distances up, but only while they are not already much larger than
    ``j``. It is cross-entropy on the logits ``-y_i`` with one more,
    never-correct "rubbish" class whose logit is fixed at ``-j``.
    """
    right = distances.gather(1, y[:, None]).squeeze(1)
    rubbish = distances.new_full((distances.shape[0], 1), -j)
    competition = torch.logsumexp(torch.cat([rubbish, -distances], dim=1), dim=1)
    return (right + competition).mean()


def rbf_cross_entropy(distances: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Plain softmax cross-entropy, with the negated distances as logits."""
    return F.cross_entropy(-distances, y)


#: The losses a training recipe can name.
LOSSES = {"paper": paper_loss, "cross_entropy": rbf_cross_entropy}


# ------------------------------------------------------------------ initialisation


def fan_ins(model: LeNet1998) -> dict[nn.Parameter, torch.Tensor]:
    """The fan-in of the unit each parameter belongs to, shaped to broadcast over it.

    The fan-in is what a unit adds up: 25 for C1, 4 for a subsampling unit
    (its 2x2 block), 75, 100 or 150 for a C3 unit (3, 4 or 6 maps of 5x5),
    400 for C5, 120 for F6.
    """
    fans: dict[nn.Parameter, torch.Tensor] = {}
    for conv in (model.c1, model.c5):
        fan = torch.tensor(float(conv.weight[0].numel()))
        fans[conv.weight] = fans[conv.bias] = fan
    for sub in (model.s2, model.s4):
        fans[sub.coefficient] = fans[sub.bias] = torch.tensor(4.0)
    c3 = model.c3.fan_in().float()
    fans[model.c3.weight] = c3[model.c3.pairs // model.c3.in_channels].view(-1, 1, 1)
    fans[model.c3.bias] = c3
    fans[model.f6.weight] = fans[model.f6.bias] = torch.tensor(
        float(model.f6.in_features)
    )
    return fans


@torch.no_grad()
def paper_init_(model: LeNet1998) -> LeNet1998:
    """Every weight and bias uniform in ``+-2.4 / F_in`` (``F_in``: the unit's fan-in).

    The paper's rule keeps each weighted sum in the range where the
    squashing function is neither flat nor saturated.
    """
    for p, fan in fan_ins(model).items():
        bound = (2.4 / fan).to(p.device, p.dtype)
        p.copy_((torch.rand_like(p) * 2 - 1) * bound)
    return model


# --------------------------------------------------------------------- distortions


def distort(x: torch.Tensor, grid: np.ndarray | torch.Tensor | None) -> torch.Tensor:
    """Images ``x`` (N, 1, H, W) read through sampling grids (N, H, W, 2).

    The grids come from :mod:`lenet_common.lenet1998.distortions`.

    Bilinear, with points outside the image reading the border (background),
    as :func:`lenet_common.lenet1998.distortions.sample_bilinear` does in NumPy.
    """
    if grid is None:
        return x
    grid = torch.as_tensor(grid, dtype=x.dtype, device=x.device)
    return F.grid_sample(
        x, grid, mode="bilinear", padding_mode="border", align_corners=False
    )
