"""The Keras LeNet-5 when things go wrong: saves, inputs, divergence, wrong files."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

kl = pytest.importorskip("lenet_common.keras_lenet")
import keras  # noqa: E402

from lenet_common import lenet5, runtime  # noqa: E402
from lenet_common.plumbing.checks import TrainingDivergedError  # noqa: E402
from tests.faults import disk_full_after, folder_listing, random_split  # noqa: E402

pytestmark = [
    pytest.mark.filterwarnings(
        "ignore:__array__ implementation doesn't accept a copy keyword"
        ":DeprecationWarning"
    ),
    # an untrained model's optimizer has no slots yet: Keras notes it on loading
    pytest.mark.filterwarnings(
        "ignore:Skipping variable loading for optimizer:UserWarning"
    ),
]
NAN = float("nan")


@pytest.fixture(scope="module")
def data():
    return random_split("NHWC")


@pytest.fixture(scope="module")
def model():
    runtime.seed_everything(0)
    return kl.build_lenet5()


def weights(model):
    return [w.copy() for w in model.get_weights()]


def same(model, before) -> bool:
    return all(np.array_equal(a, b) for a, b in zip(model.get_weights(), before))


# --- saving and loading ---------------------------------------------------------------


def test_save_on_a_full_disk_keeps_the_last_good_file(model, tmp_path):
    path = kl.save_weights(model, tmp_path / "lenet5.keras")
    good = path.read_bytes()
    with disk_full_after(64 * 1024):
        with pytest.raises(OSError):  # without the atomic write: a truncated file
            model.save(tmp_path / "control.keras")
        with pytest.raises(OSError):
            kl.save_weights(model, path)
    assert 0 < (tmp_path / "control.keras").stat().st_size < len(good)
    assert path.read_bytes() == good
    assert folder_listing(tmp_path) == ["control.keras", "lenet5.keras"]
    assert kl.load_weights(None, path).count_params() == model.count_params()


def test_wrong_files_are_named(tmp_path):
    np.savez(tmp_path / "arrays.npz", a=np.zeros(3))
    (tmp_path / "arrays.npz").rename(tmp_path / "arrays.keras")
    (tmp_path / "noise.keras").write_bytes(bytes(range(3, 200)))
    expected = {
        "arrays.keras": r"arrays.keras is a NumPy .npz archive of other arrays \(a\), "
        r"not a Keras LeNet-5 saved by keras_lenet.save_weights",
        "noise.keras": r"noise.keras is not a known format \(it starts with the bytes "
        r"03 04",
    }
    for name, pattern in expected.items():
        with pytest.raises(ValueError, match=pattern):
            kl.load_weights(None, tmp_path / name)


def test_another_architecture_does_not_load_silently(tmp_path):
    other = keras.Sequential(
        [
            keras.Input((32, 32, 1)),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dense(10, name="output"),
        ],
        name="tiny",
    )
    other.save(tmp_path / "tiny.keras")
    with pytest.raises(
        ValueError,
        match=r"tiny.keras holds a Keras model \('tiny'\) of another "
        r"architecture.*no layer 'c1'.*output has weights "
        r"\[\(1024, 10\), \(10,\)\]",
    ):
        kl.load_weights(None, tmp_path / "tiny.keras")
    variant = kl.build_lenet5(activation="relu", pooling="max")  # same weights: loads
    kl.save_weights(variant, tmp_path / "variant.keras")
    assert kl.load_weights(None, tmp_path / "variant.keras").count_params() == 61_706


# --- hyperparameters, inputs, divergence, predictions ---------------------------------


def test_bad_hyperparameters_are_named():
    with pytest.raises(
        ValueError, match=r"learning_rate=nan \(must be a finite number > 0\)"
    ):
        lenet5.Recipe(epochs=3, batch_size=16, learning_rate=NAN)
    with pytest.raises(ValueError, match=r"weight_decay=inf"):
        lenet5.Recipe(
            epochs=3, batch_size=16, learning_rate=0.05, weight_decay=float("inf")
        )


def test_bad_inputs_change_no_weight(model, data):
    x, y, xv, yv = data
    before = weights(model)
    bad = y.copy()
    bad[-1] = 10
    nan_x = x.copy()
    nan_x[3, 0, 0, 0] = NAN
    cases = {
        r"training labels: .*\[10\] at position\(s\) 47": (x, bad, xv, yv),
        r"training labels: .*dtype float32; they are whole numbers": (
            x,
            y.astype(np.float32),
            xv,
            yv,
        ),
        r"training images: 1 NaN and 0 infinite value\(s\), in image\(s\) 3 of 48": (
            nan_x,
            y,
            xv,
            yv,
        ),
        r"training images: there are none \(0 images\)": (x[:0], y[:0], xv, yv),
        r"validation images: 1 NaN": (x, y, nan_x, y),
    }
    recipe = lenet5.Recipe(epochs=1, batch_size=16, learning_rate=0.05)
    for pattern, (a, b, c, d) in cases.items():
        with pytest.raises(ValueError, match=pattern):
            kl.fit_lenet5(model, a, b, c, d, recipe, verbose=False)
    assert same(model, before)


class NanFromStep(keras.layers.Layer):
    """Adds NaN to its input from training step ``start`` on (counted in a variable)."""

    def __init__(self, start: int, **kwargs):
        super().__init__(**kwargs)
        self.start = start

    def build(self, input_shape):
        self.calls = self.add_weight(shape=(), initializer="zeros", trainable=False)

    def call(self, x, training=False):
        if training:
            self.calls.assign_add(1.0)
        poison = keras.ops.where(self.calls >= self.start, NAN, 0.0)
        return x + keras.ops.cast(poison, x.dtype)


def test_divergence_names_the_step(data):
    runtime.seed_everything(0)
    inner = kl.build_lenet5()
    model = keras.Sequential([keras.Input((32, 32, 1)), *inner.layers, NanFromStep(5)])
    model.compile(
        optimizer=keras.optimizers.SGD(0.05),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    x, y, xv, yv = data
    with pytest.raises(
        TrainingDivergedError,
        match=r"at step 5 \(epoch 2\) the loss became non-finite \(nan\), "
        r"with learning_rate=0.05",
    ):
        kl.fit_lenet5(
            model,
            x,
            y,
            xv,
            yv,
            lenet5.Recipe(
                epochs=3, batch_size=16, learning_rate=0.05, schedule="constant"
            ),
            verbose=False,
        )


def test_nan_weights_and_images_do_not_predict(data):
    model = kl.build_lenet5()
    x = data[0].copy()
    x[4, 1, 1, 0] = -np.inf
    with pytest.raises(
        ValueError, match=r"images to predict: 0 NaN and 1 infinite .* 4 of 48"
    ):
        kl.predict(model, x)
    kernel = model.get_layer("c3").kernel
    kernel.assign(np.full(kernel.shape, NAN, np.float32))
    with pytest.raises(
        ValueError, match=r"cannot predict: .*weights hold NaN .*\(in c3.kernel\)"
    ):
        kl.predict(model, data[0])
