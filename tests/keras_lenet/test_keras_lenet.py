"""The Keras LeNet-5: its shape and size, that it learns, that it saves, that it lives in one place."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

keras_lenet = pytest.importorskip("lenet_common.keras_lenet")
# the module compile_lenet5 reads gpu_visible from (not the package's train function)
KERAS_TRAIN = sys.modules["lenet_common.keras_lenet.train"]
import keras  # noqa: E402

from lenet_common import lenet5, runtime, shapes  # noqa: E402
from lenet_common.data import load_lenet_data  # noqa: E402
from lenet_common.exercises import keras_lenet as checks  # noqa: E402
from lenet_common.plumbing import results  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]

# Keras' own callbacks read the learning rate with np.array(variable), which
# NumPy 2 flags; it is Keras' code, not ours, and harmless.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)


@pytest.fixture(scope="module")
def sample_data():
    """The shipped MNIST sample, channels last, whatever mode the tests run in."""
    return load_lenet_data(layout="NHWC", quick=True)


@pytest.fixture
def model():
    runtime.seed_everything(0)
    return keras_lenet.build_lenet5()


def test_parameter_count_is_the_books(model):
    assert model.count_params() == 61_706 == shapes.total_params(shapes.lenet5_table())


def test_each_layer_matches_the_shapes_table(model):
    table = [
        (r.name.lower(), tuple(r.out_shape), r.params) for r in shapes.lenet5_table()
    ]
    assert keras_lenet.layer_rows(model) == table
    assert [name for name, _, _ in table] == list(lenet5.LAYER_NAMES)


def test_input_is_one_32x32_channel_last_image(model):
    assert tuple(model.input_shape) == (None, 32, 32, 1)
    assert tuple(model.output_shape) == (None, 10)


def test_outputs_logits_and_the_loss_expects_logits(model):
    assert model.get_layer("output").activation.__name__ == "linear"
    keras_lenet.compile_lenet5(model, lenet5.book_recipe(quick=True), total_steps=10)
    assert model.loss.get_config()["from_logits"] is True
    logits = model.predict(np.zeros((2, 32, 32, 1), np.float32), verbose=0)
    # logits are not probabilities: rows need not sum to 1, and values may be negative
    assert not np.allclose(logits.sum(axis=1), 1.0)


def test_uses_the_book_activation_and_pooling(model):
    kinds = {layer.name: type(layer).__name__ for layer in model.layers}
    assert kinds["s2"] == kinds["s4"] == "AveragePooling2D"
    assert kinds["c5"] == "Conv2D"  # a convolution, as in the paper
    assert all(
        model.get_layer(n).activation.__name__ == "tanh"
        for n in ("c1", "c3", "c5", "f6")
    )


def test_variants_keep_the_parameter_count():
    variant = keras_lenet.build_lenet5(activation="relu", pooling="max")
    assert variant.count_params() == 61_706
    assert checks.check_relu_max_variant(variant)


def test_gpu_settings_are_chosen_for_a_gpu(monkeypatch):
    recipe = lenet5.book_recipe(quick=True)
    monkeypatch.setattr(KERAS_TRAIN, "gpu_visible", lambda: True)
    on_gpu = keras_lenet.compile_lenet5(
        keras_lenet.build_lenet5(), recipe, total_steps=10
    )
    assert on_gpu.jit_compile is True and on_gpu.steps_per_execution == 50
    monkeypatch.setattr(KERAS_TRAIN, "gpu_visible", lambda: False)
    on_cpu = keras_lenet.compile_lenet5(
        keras_lenet.build_lenet5(), recipe, total_steps=10
    )
    assert on_cpu.jit_compile is False and on_cpu.steps_per_execution == 1


def test_batches_per_call_divide_an_epoch(monkeypatch):
    """A call that crossed an epoch's end would train on the next epoch's batches."""
    recipe = lenet5.book_recipe(quick=True)
    monkeypatch.setattr(KERAS_TRAIN, "gpu_visible", lambda: True)
    full_mnist = keras_lenet.compile_lenet5(
        keras_lenet.build_lenet5(), recipe, total_steps=4300, steps_per_epoch=430
    )
    assert full_mnist.steps_per_execution == 43  # 430 = 10 x 43; 50 does not divide it
    monkeypatch.setattr(KERAS_TRAIN, "gpu_visible", lambda: False)
    with pytest.raises(ValueError, match=r"does not divide the 10 batches.*such as 2"):
        keras_lenet.compile_lenet5(
            keras_lenet.build_lenet5(),
            recipe,
            total_steps=30,
            steps_per_execution=4,
            steps_per_epoch=10,
        )


def test_gpu_settings_train_correctly_here_too(sample_data):
    """XLA and several steps per call also run on the CPU, so their code path is tested here."""
    runtime.seed_everything(0)
    model = keras_lenet.build_lenet5()
    recipe = lenet5.Recipe(epochs=2, batch_size=64, learning_rate=0.05)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = keras_lenet.fit_lenet5(
            model,
            sample_data.x_train[:640],
            sample_data.y_train[:640],
            sample_data.x_val,
            sample_data.y_val,
            recipe,
            verbose=False,
            jit_compile=True,
            steps_per_execution=5,  # 2 calls per epoch of 10 batches
        )
    # each epoch ends where its batches end: no call ran on into the next epoch's
    assert not [w for w in caught if "ran out of data" in str(w.message)]
    assert int(model.optimizer.iterations) == 20 and run.epochs_run == 2
    assert run.history["loss"][0] < np.log(10)  # below the loss of a uniform guess
    assert np.all(np.isfinite(model.predict(sample_data.x_val[:10], verbose=0)))


def test_one_training_step_lowers_the_loss(model, sample_data):
    x, y = sample_data.x_train[:64], sample_data.y_train[:64]
    keras_lenet.compile_lenet5(model, lenet5.book_recipe(quick=True), total_steps=10)
    before = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
    model.train_on_batch(x, y)
    after = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
    assert after < before


def test_a_short_fit_beats_chance_on_held_out_data(sample_data):
    runtime.seed_everything(0)
    recipe = lenet5.book_recipe(quick=True)
    model = keras_lenet.set_params(
        keras_lenet.build_lenet5(recipe), lenet5.initial_params(0)
    )
    run = keras_lenet.fit_lenet5(
        model,
        sample_data.x_train,
        sample_data.y_train,
        sample_data.x_val,
        sample_data.y_val,
        recipe,
        verbose=False,
    )
    assert run.epochs_run == recipe.epochs
    assert set(run.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    accuracy = np.mean(
        keras_lenet.predict(model, sample_data.x_test) == sample_data.y_test
    )
    assert accuracy > 0.8  # chance is 0.1
    assert (
        checks.check_fashion_model(model, sample_data).ok is False
    )  # MNIST is not Fashion


def test_the_schedule_ends_where_the_recipe_says(sample_data):
    recipe = lenet5.Recipe(epochs=2, batch_size=128, learning_rate=0.05)
    model = keras_lenet.build_lenet5(recipe)
    x, y = sample_data.x_train[:300], sample_data.y_train[:300]
    keras_lenet.fit_lenet5(model, x, y, x[:50], y[:50], recipe, verbose=False)
    total = recipe.total_steps(len(x))
    assert int(model.optimizer.iterations) == total == 6
    rate = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    assert rate == pytest.approx(recipe.learning_rate_at(total, total), abs=1e-7)


def test_dataset_follows_the_given_orders(sample_data):
    x, y = sample_data.x_train[:100], sample_data.y_train[:100]
    orders = [lenet5.batch_order(100, epoch, seed=1) for epoch in range(2)]
    ds = keras_lenet.make_dataset(x, y, batch_size=32, orders=orders)
    batches = list(ds.as_numpy_iterator())
    assert [len(b[1]) for b in batches] == [
        32,
        32,
        32,
        4,
    ] * 2  # no batch spans two epochs
    seen = np.concatenate([b[1] for b in batches])
    np.testing.assert_array_equal(seen, y[np.concatenate(orders)])
    np.testing.assert_array_equal(batches[4][0], x[orders[1][:32]])
    assert "Prefetch" in type(ds).__name__
    once = list(keras_lenet.make_dataset(x, y, batch_size=64).as_numpy_iterator())
    np.testing.assert_array_equal(np.concatenate([b[1] for b in once]), y)


def test_save_and_load_give_identical_predictions(model, sample_data, tmp_path):
    keras_lenet.compile_lenet5(model, lenet5.book_recipe(quick=True), total_steps=10)
    model.train_on_batch(sample_data.x_train[:64], sample_data.y_train[:64])
    path = keras_lenet.save_weights(model, tmp_path / "nested" / "lenet5.keras")
    loaded = keras_lenet.load_weights(None, path)
    x = sample_data.x_test[:200]
    np.testing.assert_array_equal(
        model.predict(x, verbose=0), loaded.predict(x, verbose=0)
    )
    assert keras_lenet.layer_rows(loaded) == keras_lenet.layer_rows(model)
    into = keras_lenet.load_weights(keras_lenet.build_lenet5(), path)
    np.testing.assert_array_equal(
        model.predict(x, verbose=0), into.predict(x, verbose=0)
    )


def test_summary_text_is_keras_summary_in_one_block(model):
    text = keras_lenet.summary_text(model)
    assert "Total params: 61,706" in text
    assert all(f"{name} (" in text for name in lenet5.LAYER_NAMES)


def test_clear_errors_for_wrong_input(model, tmp_path):
    with pytest.raises(ValueError, match="NHWC"):
        keras_lenet.make_dataset(
            np.zeros((2, 1, 32, 32), np.float32), np.zeros(2), batch_size=2
        )
    with pytest.raises(ValueError, match=r"\(N, 1, 32, 32\)"):
        keras_lenet.predict(model, np.zeros((2, 28, 28, 1), np.float32))
    with pytest.raises(ValueError, match=r"\.keras"):
        keras_lenet.save_weights(model, tmp_path / "lenet5.h5")
    with pytest.raises(FileNotFoundError, match="save_weights"):
        keras_lenet.load_weights(None, tmp_path / "absent.keras")
    with pytest.raises(ValueError, match="activation"):
        keras_lenet.build_lenet5(activation="sigmoid")
    with pytest.raises(ValueError, match="pooling"):
        keras_lenet.build_lenet5(pooling="min")
    with pytest.raises(ValueError, match="labels"):
        keras_lenet.make_dataset(np.zeros((3, 32, 32, 1)), np.zeros(2), batch_size=2)


def test_importing_tensorflow_prints_nothing_and_turns_onednn_on():
    """Quiet, and with oneDNN's kernels on (TensorFlow leaves them off on AVX2 processors).

    The stored benchmark says what they are worth: training at least 1.5 times as fast.
    """
    code = (
        "import lenet_common.keras_lenet as k; "
        "k.build_lenet5().predict(__import__('numpy').zeros((1,32,32,1)), verbose=0); "
        "import os, platform; "
        "cpu_trains = platform.machine() == 'x86_64' and not os.path.exists('/dev/nvidiactl'); "
        "assert k.onednn_enabled() in (True, None) or not cpu_trains, 'oneDNN is off'"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "" and done.stdout.strip() == ""
    bench = results.latest("keras_cpu")["variants"]
    assert (
        bench["onednn_on"]["images_per_second"]
        > 1.5 * bench["onednn_off"]["images_per_second"]
    )


def _code_sources() -> list[tuple[str, str]]:
    """(file, code) of every module of the package and every chapter's code cells."""
    found = []
    for path in sorted((ROOT / "lenet_common").rglob("*.py")):
        found.append((str(path.relative_to(ROOT)), path.read_text()))
    for path in sorted((ROOT / "book").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        code = "\n".join(
            "".join(c["source"]) for c in cells if c["cell_type"] == "code"
        )
        found.append((str(path.relative_to(ROOT)), code))
    return found


def test_the_keras_model_lives_in_one_place():
    defines = [
        f
        for f, code in _code_sources()
        if "keras.Sequential(" in code or "keras.Model(" in code
    ]
    assert defines == ["lenet_common/keras_lenet/model.py"]
    for f, code in _code_sources():
        if f.startswith("book/") and ("import keras" in code or "from keras" in code):
            assert "keras_lenet" in code, f"{f} uses Keras without the shared model"
