"""One surface, three implementations: the same weights give the same function.

NumPy, PyTorch and Keras share ``get_params``/``set_params``/
``predict_logits``/``gradients``: on random weights and a random batch they
must agree to float32 round-off. A round trip alone cannot catch a layout
bug (a reshape where a transpose belongs round-trips exactly), so the
logits and the gradients are compared too.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from lenet_common import lenet5
from lenet_common import numpy_lenet as nl
from lenet_common.numerics import assert_close

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
torch = pytest.importorskip("torch")
from lenet_common import torch_lenet as tl  # noqa: E402

kl = pytest.importorskip("lenet_common.keras_lenet")

pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)


@pytest.fixture(scope="module")
def params():
    """Random weights with random (non-zero) biases, so that every tensor matters."""
    rng = np.random.default_rng(7)
    p = lenet5.initial_params(seed=3)
    return {
        k: (v if k.endswith("weight") else 0.1 * rng.standard_normal(v.shape)).astype(
            np.float32
        )
        for k, v in p.items()
    }


@pytest.fixture(scope="module")
def batch():
    rng = np.random.default_rng(8)
    return rng.standard_normal((32, *lenet5.INPUT_SHAPE)).astype(
        np.float32
    ), rng.integers(0, 10, 32)


@pytest.fixture(scope="module")
def models(params):
    return {
        "numpy": nl.set_params(nl.LeNet5(), params),
        "torch": tl.set_params(tl.LeNet5(), params),
        "keras": kl.set_params(kl.build_lenet5(), params),
    }


SURFACES = {"numpy": nl, "torch": tl, "keras": kl}

# The longest sum in LeNet-5: a C5 unit adds 16 maps x 5 x 5 = 400 products.
LONGEST_SUM = 400
# A weight gradient sums over the batch and the positions of its layer's output.
POSITIONS = {"c1": 28 * 28, "c3": 10 * 10}


def _logit_magnitude(params) -> np.ndarray:
    """A bound on sum|terms| behind each logit: F6's tanh outputs lie in [-1, 1]."""
    return np.abs(params["output.weight"]).sum(axis=0) + np.abs(params["output.bias"])


def _gradient_terms(key: str, batch: int) -> int:
    return max(batch * POSITIONS.get(key.split(".")[0], 1), LONGEST_SUM)


@pytest.mark.parametrize("name", SURFACES)
def test_each_implementation_offers_the_whole_surface(name):
    module = SURFACES[name]
    assert set(lenet5.SURFACE) <= set(module.__all__)
    assert all(callable(getattr(module, function)) for function in lenet5.SURFACE)


@pytest.mark.parametrize("name", SURFACES)
def test_round_trip_is_exact(name, models, params):
    back = SURFACES[name].get_params(models[name])
    assert list(back) == list(lenet5.PARAM_SHAPES)
    for key, value in params.items():
        assert back[key].dtype == np.float32
        np.testing.assert_array_equal(back[key], value, err_msg=f"{name} {key}")


@pytest.mark.parametrize("name", ["torch", "keras"])
def test_logits_equal_the_numpy_models(name, models, batch, params):
    x, _ = batch
    reference = nl.predict_logits(models["numpy"], x)
    logits = SURFACES[name].predict_logits(models[name], x)
    assert logits.shape == (len(x), lenet5.N_CLASSES) and isinstance(logits, np.ndarray)
    magnitude = _logit_magnitude(params)
    assert_close(
        logits,
        reference,
        terms=LONGEST_SUM,
        magnitude=magnitude,
        dtype=np.float32,
        what=f"{name} logits",
    )
    # the same class wherever the top two logits are further apart than rounding
    top2 = np.sort(reference, axis=1)[:, -2:]
    clear = (
        top2[:, 1] - top2[:, 0]
        > 2 * LONGEST_SUM * np.finfo(np.float32).eps * magnitude.max()
    )
    assert clear.sum() >= len(x) // 2
    np.testing.assert_array_equal(
        logits.argmax(axis=1)[clear], reference.argmax(axis=1)[clear]
    )


@pytest.mark.parametrize("name", ["torch", "keras"])
def test_gradients_equal_the_hand_derived_ones(name, models, batch):
    reference = nl.gradients(models["numpy"], *batch)
    grads = SURFACES[name].gradients(models[name], *batch)
    assert list(grads) == list(lenet5.PARAM_SHAPES)
    for key, value in reference.items():
        # the tensor's largest entry stands for the size of its sum's terms
        assert_close(
            grads[key],
            value,
            terms=_gradient_terms(key, len(batch[1])),
            magnitude=np.abs(value).max(),
            dtype=np.float32,
            what=f"{name} {key}",
        )


def test_float64_gradients_of_numpy_and_pytorch_agree_to_round_off(params, batch):
    numpy64 = nl.set_params(nl.LeNet5(dtype=np.float64), params)
    torch64 = tl.set_params(tl.LeNet5().double(), params)
    x, y = batch[0].astype(np.float64), batch[1]
    reference = nl.gradients(numpy64, x, y)
    grads = tl.gradients(torch64, x, y)
    for key, value in reference.items():
        assert grads[key].dtype == np.float64
        assert_close(
            grads[key],
            value,
            terms=_gradient_terms(key, len(y)),
            magnitude=np.abs(value).max(),
            what=key,
        )


def test_one_plain_sgd_step_gives_the_same_weights(params, batch):
    """Each framework's own optimiser, one step of plain SGD on the same batch."""
    x, y = batch
    rate = 0.1
    numpy_model = nl.set_params(nl.LeNet5(), params)
    _, grads, _ = numpy_model.loss_and_grads(x, y)
    nl.SGD(numpy_model.params, lr=rate, momentum=0.0).step(grads)

    torch_model = tl.set_params(tl.LeNet5(), params)
    optimizer = torch.optim.SGD(torch_model.parameters(), lr=rate)
    torch.nn.functional.cross_entropy(
        torch_model(torch.from_numpy(x)), torch.from_numpy(y)
    ).backward()
    optimizer.step()

    plain = lenet5.Recipe(
        epochs=1,
        batch_size=len(x),
        learning_rate=rate,
        momentum=0.0,
        weight_decay=0.0,
        schedule="constant",
    )
    keras_model = kl.set_params(kl.build_lenet5(plain), params)
    kl.compile_lenet5(keras_model, plain, total_steps=1)
    keras_model.train_on_batch(x.transpose(0, 2, 3, 1), y)

    expected = nl.get_params(numpy_model)
    for name, model in (("torch", torch_model), ("keras", keras_model)):
        after = SURFACES[name].get_params(model)
        for key, value in expected.items():
            # w - rate * g: n * eps of the step (the gradient's summation rounding,
            # times the rate) plus eps of the weight (its own rounding)
            moved, terms = (
                np.abs(value - params[key]).max(),
                _gradient_terms(key, len(y)),
            )
            assert_close(
                after[key],
                value,
                terms=terms,
                magnitude=moved + np.abs(params[key]).max() / terms,
                dtype=np.float32,
                what=f"{name} {key}",
            )


def test_keras_and_numpy_train_the_same_epoch_alike():
    """Same initial weights, same recipe, same batches: the weights stay together.

    With a constant rate, Keras' momentum (the rate folded into the
    velocity) is exactly PyTorch's and NumPy's, and its L2 penalty is the
    weight decay; only float32 round-off remains.
    """
    rng = np.random.default_rng(9)
    x = rng.standard_normal((256, *lenet5.INPUT_SHAPE)).astype(np.float32)
    y = rng.integers(0, 10, 256)
    recipe = lenet5.Recipe(
        epochs=2, batch_size=64, learning_rate=0.05, schedule="constant"
    )
    start = lenet5.initial_params(recipe.seed)
    numpy_model = nl.set_params(nl.LeNet5(), start)
    nl.train(numpy_model, x, y, recipe=recipe, show_progress=False)
    torch_model = tl.set_params(tl.LeNet5(), start)
    tl.train(torch_model, x, y, x[:8], y[:8], recipe, show_progress=False)
    keras_model = kl.set_params(kl.build_lenet5(recipe), start)
    kl.fit_lenet5(
        keras_model,
        x.transpose(0, 2, 3, 1),
        y,
        x[:8].transpose(0, 2, 3, 1),
        y[:8],
        recipe,
        verbose=False,
    )
    expected = nl.get_params(numpy_model)
    for name, model in (("torch", torch_model), ("keras", keras_model)):
        after = SURFACES[name].get_params(model)
        for key, value in expected.items():
            moved = np.abs(value - start[key]).max()
            assert np.abs(after[key] - value).max() <= 1e-3 * moved, (name, key)


@pytest.mark.parametrize("name", SURFACES)
def test_no_images_give_empty_answers_of_the_right_shape(name, models):
    """predict and predict_logits on 0 images: the same empty answer in every framework."""
    surface, model = SURFACES[name], models[name]
    none = np.zeros((0, *lenet5.INPUT_SHAPE), np.float32)
    logits = surface.predict_logits(model, none)
    labels = surface.predict(model, none)
    assert isinstance(logits, np.ndarray) and isinstance(labels, np.ndarray)
    assert logits.shape == (0, lenet5.N_CLASSES) and logits.dtype == np.float32
    assert labels.shape == (0,) and labels.dtype == np.int64


@pytest.mark.parametrize("name", SURFACES)
def test_set_params_names_missing_unknown_and_misshapen_tensors(name, models, params):
    surface, model = SURFACES[name], models[name]
    bad = dict(params)
    del bad["c5.bias"]
    bad["c7.weight"] = np.zeros((2, 2), np.float32)
    bad["output.weight"] = params["output.weight"].T
    with pytest.raises(ValueError) as err:
        surface.set_params(model, bad)
    text = str(err.value)
    assert "c5.bias is missing" in text and "c7.weight is not a LeNet-5 tensor" in text
    assert "output.weight has shape (10, 84), expected (84, 10)" in text
    np.testing.assert_array_equal(
        surface.get_params(model)["c5.bias"], params["c5.bias"]
    )


@pytest.mark.parametrize("name", SURFACES)
def test_predict_logits_refuses_a_wrong_shape_saying_what_it_takes(name, models):
    with pytest.raises(ValueError, match=r"\(N, 1, 32, 32\)"):
        SURFACES[name].predict_logits(models[name], np.zeros((2, 28, 28), np.float32))
    with pytest.raises(ValueError, match=r"\(N, 1, 32, 32\)"):
        SURFACES[name].predict_logits(
            models[name], np.zeros((2, 3, 32, 32), np.float32)
        )


def test_keras_takes_both_layouts_and_a_model_of_another_shape_is_refused(
    models, batch
):
    x, _ = batch
    np.testing.assert_array_equal(
        kl.predict_logits(models["keras"], x),
        kl.predict_logits(models["keras"], x.transpose(0, 2, 3, 1)),
    )
    wide = tl.LeNet5()
    wide.c1, wide.c3 = torch.nn.Conv2d(1, 8, 5), torch.nn.Conv2d(8, 16, 5)
    with pytest.raises(ValueError, match="c1.weight has shape"):
        tl.get_params(wide)


@pytest.mark.parametrize("name", SURFACES)
def test_save_and_load_weights_behave_alike(name, models, tmp_path, batch):
    surface, model = SURFACES[name], models[name]
    suffix = {"numpy": ".npz", "torch": ".pt", "keras": ".keras"}[name]
    path = surface.save_weights(model, tmp_path / f"weights{suffix}")
    assert path.is_file()
    fresh = surface.load_weights(None, path)
    np.testing.assert_array_equal(
        surface.predict_logits(fresh, batch[0]), surface.predict_logits(model, batch[0])
    )
    with pytest.raises(FileNotFoundError, match="save_weights"):
        surface.load_weights(None, tmp_path / f"absent{suffix}")


@pytest.mark.parametrize("name", SURFACES)
def test_set_params_refuses_values_that_are_not_numbers_and_changes_nothing(
    name, params
):
    surface = SURFACES[name]
    model = {"numpy": nl.LeNet5, "torch": tl.LeNet5, "keras": kl.build_lenet5}[name]()
    before = surface.get_params(model)
    bad = dict(params)
    bad["output.bias"] = np.full(params["output.bias"].shape, "x")  # the last tensor
    bad["c3.bias"] = params["c3.bias"].astype(np.complex64)
    with pytest.raises(ValueError) as err:
        surface.set_params(model, bad)
    assert "output.bias holds <U1 values" in str(err.value)
    assert "c3.bias holds complex64 values" in str(err.value)
    after = surface.get_params(model)  # no tensor written before the refusal
    for key in before:
        np.testing.assert_array_equal(after[key], before[key])
    ragged = dict(params, **{"c1.bias": [[1.0, 2.0], [3.0]]})
    with pytest.raises(ValueError, match="c1.bias is not an array: its rows differ"):
        surface.set_params(model, ragged)


@pytest.mark.parametrize("name", SURFACES)
def test_predict_logits_refuses_bad_batch_sizes_and_images_that_are_not_numbers(
    name, models, batch
):
    surface, model, x = SURFACES[name], models[name], batch[0]
    for size in (0, -1, 2.5, None):  # -1 gave no logits at all, without a word
        with pytest.raises(ValueError, match="batch_size"):
            surface.predict_logits(model, x, batch_size=size)
    with pytest.raises(ValueError, match="images must be numbers"):
        surface.predict_logits(model, np.full(x.shape, "a"))
    with pytest.raises(ValueError, match=r"\(N, 1, 32, 32\)"):
        surface.predict_logits(model, None)


@pytest.mark.parametrize("name", SURFACES)
def test_save_weights_onto_a_folder_says_so_and_leaves_nothing(name, models, tmp_path):
    suffix = {"numpy": ".npz", "torch": ".pt", "keras": ".keras"}[name]
    folder = tmp_path / f"weights{suffix}"
    folder.mkdir()
    with pytest.raises(IsADirectoryError, match="it is a folder. Name a file"):
        SURFACES[name].save_weights(models[name], folder)
    assert folder.is_dir() and not list(tmp_path.glob(".*part*"))
