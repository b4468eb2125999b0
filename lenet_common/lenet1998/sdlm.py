"""Stochastic diagonal Levenberg-Marquardt: the paper's step size per parameter.

The 1998 paper (its Appendix C) gives every parameter ``w_k`` its own step
size ``eps_k = eta / (mu + h_kk)``, where ``h_kk`` estimates the loss's
second derivative with respect to ``w_k``. Where the loss curves sharply
the steps are short, where it is flat they are long; ``mu`` keeps them
finite. ``h_kk`` comes from a Gauss-Newton approximation (second
derivatives of the activation functions and off-diagonal terms dropped),
which makes it a backward pass like backpropagation's, with *squared*
weights, squared inputs and squared activation slopes; the paper estimates
it on a few hundred images before each pass.

Here the second-derivative pass is written out for the 1998 network, layer
by layer, and :class:`SDLM` is an optimiser that takes those estimates.
Importing this module imports torch.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn
from torch.nn.grad import conv2d_input, conv2d_weight

from lenet_common.lenet1998.model import (
    A,
    LeNet1998,
    S,
    Subsampling,
    block_sums,
    squash,
)

__all__ = ["squash_slope", "curvature", "SDLM"]


def squash_slope(a: torch.Tensor) -> torch.Tensor:
    """``f'(a) = A S (1 - tanh(S a)^2)``, the squashing function's slope."""
    t = torch.tanh(S * a)
    return A * S * (1 - t * t)


def _subsampling_back(
    sub: Subsampling,
    sums: torch.Tensor,
    d2: torch.Tensor,
    out: dict[nn.Parameter, torch.Tensor],
) -> torch.Tensor:
    """Second derivatives of a subsampling layer; returns those of its input.

    The output is ``c * sum + b``: ``c`` sees ``sum**2``, the bias sees 1,
    and each of the 4 inputs of a block sees ``c**2``.
    """
    out[sub.coefficient] = (sums * sums * d2).sum(dim=(0, 2, 3))
    out[sub.bias] = d2.sum(dim=(0, 2, 3))
    spread = d2.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
    return spread * (sub.coefficient**2).view(1, -1, 1, 1)


@torch.no_grad()
def _forward_keeping(model: LeNet1998, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The forward pass up to F6, keeping the sums and outputs :func:`curvature` needs."""
    a1 = model.c1(x)
    h1 = squash(a1)
    s2 = block_sums(h1)
    a2 = model.s2.coefficient.view(1, -1, 1, 1) * s2 + model.s2.bias.view(1, -1, 1, 1)
    h2 = squash(a2)
    a3 = model.c3(h2)
    h3 = squash(a3)
    s4 = block_sums(h3)
    a4 = model.s4.coefficient.view(1, -1, 1, 1) * s4 + model.s4.bias.view(1, -1, 1, 1)
    h4 = squash(a4)
    a5 = model.c5(h4)
    h5 = squash(a5).flatten(1)
    a6 = model.f6(h5)
    return a1, s2, a2, h2, a3, s4, a4, h4, a5, h5, a6


def curvature(model: LeNet1998, x: torch.Tensor) -> dict[nn.Parameter, torch.Tensor]:
    """Gauss-Newton estimates of ``d2E/dw_k2`` for every parameter, averaged over ``x``.

    ``E`` is the penalty of the right class, ``y_D = sum_j (x_j - w_Dj)^2``,
    whose second derivative with respect to each F6 output is 2 (the paper
    also drops the competition term here). Going down, a unit's second
    derivative is its slope squared times that of its output, and a weight
    gets the sum of ``input**2 * d2(output)`` over the places it is used.
    """
    out: dict[nn.Parameter, torch.Tensor] = {}
    a1, s2, a2, h2, a3, s4, a4, h4, a5, h5, a6 = _forward_keeping(model, x)
    # backward with squares
    d2 = torch.full_like(a6, 2.0) * squash_slope(a6) ** 2  # F6's weighted sums
    out[model.f6.weight] = d2.T @ (h5 * h5)
    out[model.f6.bias] = d2.sum(dim=0)
    d2 = (d2 @ model.f6.weight**2).view_as(a5) * squash_slope(a5) ** 2  # C5's sums
    w5 = model.c5.weight
    out[w5] = conv2d_weight(h4 * h4, w5.shape, d2)
    out[model.c5.bias] = d2.sum(dim=(0, 2, 3))
    d2 = conv2d_input(h4.shape, w5**2, d2) * squash_slope(a4) ** 2  # S4's sums
    d2 = _subsampling_back(model.s4, s4, d2, out) * squash_slope(a3) ** 2  # C3's sums
    full = model.c3.full_weight()
    d2_full = conv2d_weight(h2 * h2, full.shape, d2).flatten(0, 1)
    out[model.c3.weight] = d2_full[model.c3.pairs]
    out[model.c3.bias] = d2.sum(dim=(0, 2, 3))
    d2 = conv2d_input(h2.shape, full**2, d2) * squash_slope(a2) ** 2  # S2's sums
    d2 = _subsampling_back(model.s2, s2, d2, out) * squash_slope(a1) ** 2  # C1's sums
    out[model.c1.weight] = conv2d_weight(x * x, model.c1.weight.shape, d2)
    out[model.c1.bias] = d2.sum(dim=(0, 2, 3))
    n = x.shape[0]
    return {p: h / n for p, h in out.items()}


class SDLM(torch.optim.Optimizer):
    """``w_k -= lr / (mu + h_kk) * grad_k``, with ``h_kk`` set by :meth:`set_curvature`.

    ``lr`` is the paper's global factor ``eta`` (its table lowers it pass by
    pass); ``mu`` the paper's 0.02. ``momentum`` (0 in the paper) adds the
    usual heavy-ball term to the preconditioned step. Until curvature is
    set, ``h_kk`` is 0 and every step is ``lr / mu`` times the gradient.
    """

    def __init__(
        self,
        params: Iterable[nn.Parameter],
        lr: float,
        mu: float = 0.02,
        momentum: float = 0.0,
    ) -> None:
        if not (lr > 0 and mu > 0 and 0 <= momentum < 1):
            raise ValueError(
                f"need lr > 0, mu > 0 and 0 <= momentum < 1; got {lr}, {mu}, {momentum}"
            )
        super().__init__(params, dict(lr=lr, mu=mu, momentum=momentum))

    @torch.no_grad()
    def set_curvature(
        self, h: dict[nn.Parameter, torch.Tensor], smoothing: float = 0.0
    ) -> None:
        """Store new estimates ``h``: ``old * smoothing + new * (1 - smoothing)``."""
        for group in self.param_groups:
            for p in group["params"]:
                if p not in h:
                    raise KeyError(
                        "no curvature estimate for a parameter of shape "
                        f"{tuple(p.shape)}"
                    )
                state = self.state[p]
                if "h" in state and smoothing > 0:
                    state["h"].mul_(smoothing).add_(h[p], alpha=1 - smoothing)
                else:
                    state["h"] = h[p].detach().clone()

    @torch.no_grad()
    def step(self, closure: None = None) -> None:  # type: ignore[override]
        for group in self.param_groups:
            lr, mu, momentum = group["lr"], group["mu"], group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                h = state.get("h")
                direction = p.grad / (mu + h) if h is not None else p.grad / mu
                if momentum:
                    buf = state.get("velocity")
                    if buf is None:
                        buf = state["velocity"] = direction.clone()
                    else:
                        buf.mul_(momentum).add_(direction)
                    direction = buf
                p.add_(direction, alpha=-lr)
