"""Tests of the 1998 network (lenet_common.lenet1998.model), its codes, loss and optimiser."""

from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402

from lenet_common import shapes  # noqa: E402
from lenet_common.lenet1998 import model as L  # noqa: E402
from lenet_common.lenet1998 import rbf_codes, sdlm  # noqa: E402
from lenet_common.numerics import assert_close  # noqa: E402
from lenet_common.numpy_lenet.layers import conv_forward  # noqa: E402


@pytest.fixture
def model() -> L.LeNet1998:
    torch.manual_seed(0)
    return L.LeNet1998()


# ---------------------------------------------------------------- the network


def test_parameter_counts_per_layer_equal_the_shapes_table(model):
    table = {row.name.lower(): row.params for row in shapes.lenet5_table("1998")}
    assert L.layer_parameter_counts(model) == table
    assert table["c3"] == 1516 and table["c5"] == 48120
    assert sum(p.numel() for p in model.parameters()) == shapes.total_params(
        shapes.lenet5_table("1998")
    )


def test_layer_output_shapes_equal_the_shapes_table(model):
    outputs = {}
    for name in L.LAYER_NAMES:
        getattr(model, name).register_forward_hook(
            lambda _m, _i, out, name=name: outputs.__setitem__(
                name, tuple(out.shape[1:])
            )
        )
    model(torch.zeros(2, 1, 32, 32))
    for row in shapes.lenet5_table("1998"):
        got = outputs[row.name.lower()]
        assert (got + (1, 1))[:3] == row.out_shape, row.name


def test_c3_connections_follow_table_one(model):
    table = np.array(shapes.c3_connection_table())  # [input map][output map]
    connected = (
        model.c3.full_weight().detach().abs().sum(dim=(2, 3)) > 0
    ).numpy()  # [out][in]
    assert np.array_equal(connected, table.T)
    per_map = table.sum(axis=0)
    assert table.sum() == 60 and model.c3.weight.shape == (60, 5, 5)
    assert list(per_map) == [3] * 6 + [4] * 9 + [6]
    assert model.c3.fan_in().tolist() == [25 * n for n in per_map]


def test_c3_equals_the_numpy_convolution_with_the_missing_kernels_zeroed(model):
    x = torch.randn(2, 6, 14, 14, dtype=torch.float64)
    c3 = model.c3.double()
    got = c3(x).detach().numpy()
    w, b = c3.full_weight().detach().numpy(), c3.bias.detach().numpy()
    want, _ = conv_forward(x.numpy(), w, b)
    # two summation orders of 6 maps x 5 x 5 products: the layer on |x|, |w|, |b| sizes them
    magnitude, _ = conv_forward(np.abs(x.numpy()), np.abs(w), np.abs(b))
    assert_close(got, want, terms=6 * 25 + 1, magnitude=magnitude, what="C3")


def test_the_zero_kernels_of_c3_get_no_gradient_and_hold_no_parameter(model):
    model.c3(torch.randn(2, 6, 14, 14)).sum().backward()
    assert model.c3.weight.grad.shape == (60, 5, 5)
    assert torch.all(model.c3.weight.grad.abs().sum(dim=(1, 2)) > 0)


def test_squashing_function_values_and_slopes_stated_by_the_paper():
    a = torch.tensor([1.0, -1.0, 0.0], dtype=torch.float64, requires_grad=True)
    f = L.squash(a)
    assert f[0].item() == pytest.approx(1.0, abs=1e-4)
    assert f[1].item() == pytest.approx(-1.0, abs=1e-4)
    (slope,) = torch.autograd.grad(f.sum(), a)
    assert slope[2].item() == pytest.approx(L.A * L.S)  # the gain at 0: 1.1439
    assert abs(slope[2].item() - 1) < 0.15  # "close to 1", as the paper says
    assert sdlm.squash_slope(a.detach()).tolist() == pytest.approx(slope.tolist())


def test_second_derivative_of_the_squashing_function_peaks_near_plus_and_minus_one():
    grid = torch.linspace(-3, 3, 6001, dtype=torch.float64, requires_grad=True)
    (first,) = torch.autograd.grad(L.squash(grid).sum(), grid, create_graph=True)
    (second,) = torch.autograd.grad(first.sum(), grid)
    at_min = grid[second.argmin()].item()  # most negative: at +a
    at_max = grid[second.argmax()].item()  # most positive: at -a
    exact = 1.5 * math.atanh(1 / math.sqrt(3))  # where tanh'' peaks, in units of a
    assert at_min == pytest.approx(exact, abs=2e-3) and at_max == pytest.approx(
        -exact, abs=2e-3
    )
    assert abs(exact - 1) < 0.02


def test_subsampling_is_coefficient_times_block_sum_plus_bias():
    layer = L.Subsampling(2)
    with torch.no_grad():
        layer.coefficient.copy_(torch.tensor([2.0, -1.0]))
        layer.bias.copy_(torch.tensor([0.5, 0.0]))
    x = torch.arange(32, dtype=torch.float32).view(1, 2, 4, 4)
    out = layer(x)
    # channel 0, top-left block: 0 + 1 + 4 + 5 = 10 -> 2 * 10 + 0.5
    assert out[0, 0, 0, 0].item() == 20.5
    # channel 1, bottom-right block: 26 + 27 + 30 + 31 = 114 -> -114
    assert out[0, 1, 1, 1].item() == -114.0
    assert torch.allclose(L.block_sums(x), 4 * F.avg_pool2d(x, 2))


# ---------------------------------------------------------------- RBF output and losses


def test_rbf_output_against_a_hand_computation():
    rbf = L.RBF(np.array([[1.0, -1.0, 1.0], [-1.0, -1.0, -1.0]]))
    x = torch.tensor([[0.5, 0.0, 1.0]])
    # (0.5-1)^2 + (0+1)^2 + (1-1)^2 = 1.25 ; (0.5+1)^2 + 1 + (1+1)^2 = 7.25
    assert rbf(x).tolist() == [[1.25, 7.25]]
    assert not list(rbf.parameters())  # fixed centres: nothing to train


def test_paper_loss_against_a_hand_computation():
    d = torch.tensor([[1.0, 2.0], [3.0, 0.5]])
    y = torch.tensor([0, 1])
    j = 1.5
    by_hand = [
        1.0 + math.log(math.exp(-j) + math.exp(-1.0) + math.exp(-2.0)),
        0.5 + math.log(math.exp(-j) + math.exp(-3.0) + math.exp(-0.5)),
    ]
    assert L.paper_loss(d, y, j=j).item() == pytest.approx(sum(by_hand) / 2, rel=1e-6)


def test_cross_entropy_on_negated_distances_against_a_hand_computation():
    d = torch.tensor([[1.0, 2.0], [3.0, 0.5]])
    y = torch.tensor([0, 1])
    by_hand = [
        1.0 + math.log(math.exp(-1.0) + math.exp(-2.0)),
        0.5 + math.log(math.exp(-3.0) + math.exp(-0.5)),
    ]
    assert L.rbf_cross_entropy(d, y).item() == pytest.approx(sum(by_hand) / 2, rel=1e-6)


def test_the_paper_loss_is_cross_entropy_plus_a_rubbish_class():
    d = torch.rand(5, 10) * 20
    y = torch.randint(0, 10, (5,))
    assert L.paper_loss(d, y, j=1e6).item() == pytest.approx(
        L.rbf_cross_entropy(d, y).item(), rel=1e-5
    )
    assert L.paper_loss(d, y, j=0.5).item() > L.rbf_cross_entropy(d, y).item()


def test_codes_are_plus_minus_one_bitmaps_of_7_by_12_and_all_different():
    codes = rbf_codes.rbf_codes()
    assert codes.shape == (10, 84) and set(np.unique(codes)) == {-1.0, 1.0}
    assert all(
        len(bitmap) == 12 and {len(r) for r in bitmap} == {7}
        for bitmap in rbf_codes.DIGIT_BITMAPS
    )
    dist = rbf_codes.code_distances()
    off_diagonal = dist[~np.eye(10, dtype=bool)]
    assert np.all(off_diagonal >= 4 * 8)  # every pair differs in at least 8 pixels
    assert np.array_equal(L.LeNet1998().output.centres.numpy(), codes)


# ---------------------------------------------------------------- gradients (float64)


def test_gradients_of_the_custom_layers_against_finite_differences():
    torch.manual_seed(1)
    call = torch.func.functional_call
    sub = L.Subsampling(3).double()
    x = torch.randn(2, 3, 6, 6, dtype=torch.float64, requires_grad=True)
    c, b = (torch.randn(3, dtype=torch.float64, requires_grad=True) for _ in range(2))
    assert torch.autograd.gradcheck(
        lambda x, c, b: call(sub, {"coefficient": c, "bias": b}, (x,)), (x, c, b)
    )

    conv = L.TableConv(shapes.c3_connection_table(), kernel_size=3).double()
    xc = torch.randn(1, 6, 5, 5, dtype=torch.float64, requires_grad=True)
    w = torch.randn(60, 3, 3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda xc, w: call(conv, {"weight": w}, (xc,)), (xc, w), fast_mode=True
    )

    rbf = L.RBF(np.sign(np.random.default_rng(0).standard_normal((4, 5)))).double()
    xr = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(rbf, (xr,))
    assert torch.autograd.gradcheck(L.squash, (xr,))
    d = (torch.rand(3, 4, dtype=torch.float64) * 5).requires_grad_()
    y = torch.tensor([0, 3, 1])
    assert torch.autograd.gradcheck(lambda d: L.paper_loss(d, y, j=2.0), (d,))
    assert torch.autograd.gradcheck(lambda d: L.rbf_cross_entropy(d, y), (d,))


def test_whole_network_gradient_against_finite_differences(model):
    net = model.double()
    x = torch.randn(2, 1, 32, 32, dtype=torch.float64)
    y = torch.tensor([3, 7])
    names = ("s2.coefficient", "c3.weight", "s4.bias", "f6.weight")
    values = tuple(
        dict(net.named_parameters())[n].detach().clone().requires_grad_() for n in names
    )

    def loss(*values: torch.Tensor) -> torch.Tensor:
        out = torch.func.functional_call(net, dict(zip(names, values)), (x,))
        return L.paper_loss(out, y)

    # fast mode: random directional derivatives against finite differences,
    # instead of one difference per parameter (11,000 of them: minutes)
    assert torch.autograd.gradcheck(loss, values, eps=1e-6, atol=1e-6, fast_mode=True)


# ---------------------------------------------------------------- initialisation


def test_paper_initialisation_is_uniform_within_2_4_over_the_fan_in(model):
    bounds = {
        "c1.weight": 2.4 / 25,
        "c1.bias": 2.4 / 25,
        "s2.coefficient": 2.4 / 4,
        "s2.bias": 2.4 / 4,
        "s4.coefficient": 2.4 / 4,
        "s4.bias": 2.4 / 4,
        "c5.weight": 2.4 / 400,
        "c5.bias": 2.4 / 400,
        "f6.weight": 2.4 / 120,
        "f6.bias": 2.4 / 120,
    }
    params = dict(model.named_parameters())
    for name, bound in bounds.items():
        p = params[name]
        assert p.abs().max().item() <= bound and p.abs().max().item() > 0.5 * bound, (
            name
        )
    fan = model.c3.fan_in()[model.c3.pairs // 6].view(-1, 1, 1)
    ratio = model.c3.weight.abs() / (2.4 / fan)
    assert ratio.max().item() <= 1 and ratio.max().item() > 0.9


# ---------------------------------------------------------------- SDLM


def test_curvature_is_the_exact_gauss_newton_diagonal_where_no_weight_is_shared(model):
    """C5 (1x1 output) and F6 use each weight once, so the diagonal pass is exact there.

    Exact: ``d2E/dw2 ~ 2 * sum_j (d h6_j / dw)^2``, averaged over the images,
    with the Jacobian of F6's outputs taken by autograd, one output at a time.
    """
    net = model.double()
    x = torch.randn(3, 1, 32, 32, dtype=torch.float64)
    estimate = sdlm.curvature(net, x)
    names = ("c5.weight", "c5.bias", "f6.weight", "f6.bias")
    params = dict(net.named_parameters())
    exact = {n: torch.zeros_like(params[n]) for n in names}
    for i in range(len(x)):
        h6 = net.features(x[i : i + 1])[0]
        for j in range(h6.shape[0]):
            grads = torch.autograd.grad(
                h6[j], [params[n] for n in names], retain_graph=True
            )
            for n, g in zip(names, grads):
                exact[n] += 2 * g * g / len(x)
    for n in names:
        torch.testing.assert_close(estimate[params[n]], exact[n], rtol=1e-9, atol=1e-14)


def test_curvature_covers_every_parameter_and_is_never_negative(model):
    h = sdlm.curvature(model, torch.randn(4, 1, 32, 32))
    for name, p in model.named_parameters():
        assert h[p].shape == p.shape, name
        assert torch.all(h[p] >= 0) and torch.any(h[p] > 0), name


def test_sdlm_step_is_lr_over_mu_plus_curvature_times_the_gradient():
    p = torch.nn.Parameter(torch.tensor([1.0, 2.0, 3.0]))
    opt = sdlm.SDLM([p], lr=0.1, mu=0.5)
    opt.set_curvature({p: torch.tensor([0.0, 0.5, 1.5])})
    p.grad = torch.tensor([1.0, 1.0, 2.0])
    opt.step()
    expected = torch.tensor([1 - 0.1 / 0.5, 2 - 0.1 / 1.0, 3 - 0.1 * 2 / 2.0])
    torch.testing.assert_close(p.detach(), expected)
    with pytest.raises(ValueError, match="mu > 0"):
        sdlm.SDLM([p], lr=0.1, mu=0.0)


def test_c5_as_a_matrix_product_equals_the_convolution(model):
    x = torch.randn(3, 16, 5, 5)
    direct = F.conv2d(x, model.c5.weight, model.c5.bias)
    # float32, 16 x 5 x 5 products in two orders: sized by the layer on absolute values
    magnitude = F.conv2d(x.abs(), model.c5.weight.abs(), model.c5.bias.abs())
    assert_close(
        model.c5(x).detach().numpy(),
        direct.detach().numpy(),
        terms=16 * 25 + 1,
        magnitude=magnitude.detach().numpy(),
        what="C5",
    )
    bigger = torch.randn(2, 16, 7, 7)  # not whole-input: the ordinary convolution
    torch.testing.assert_close(
        model.c5(bigger), F.conv2d(bigger, model.c5.weight, model.c5.bias)
    )
