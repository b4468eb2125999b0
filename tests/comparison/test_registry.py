"""The one registry of implementations, and the verbs every one of them offers."""

from __future__ import annotations

import os

import numpy as np
import pytest

from lenet_common import lenet5
from lenet_common.comparison import registry, side_by_side

RECIPE = lenet5.Recipe(epochs=1, batch_size=32, learning_rate=0.05, seed=0)


def test_names_labels_and_colours_are_distinct():
    impls = registry.IMPLEMENTATIONS
    for field in ("name", "label", "colour", "module"):
        values = [getattr(i, field) for i in impls]
        assert len(set(values)) == len(values), field
    assert all(i.layout in ("NCHW", "NHWC") for i in impls)
    assert registry.NAMES == tuple(i.name for i in impls)
    assert side_by_side.LABELS == {i.name: i.label for i in impls}


def test_an_unknown_name_says_which_exist():
    with pytest.raises(ValueError, match="unknown implementation 'jax': use one of"):
        registry.get("jax")


def test_every_module_is_found_without_importing_it():
    for impl in registry.IMPLEMENTATIONS:
        files = registry.source_files(impl.module)
        assert files and all(f.suffix == ".py" for f in files), impl.name


@pytest.fixture(scope="module")
def tiny_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((96, *lenet5.INPUT_SHAPE)).astype(np.float32)
    y = rng.integers(0, lenet5.N_CLASSES, 96)
    return x[:64], y[:64], x[64:], y[64:]


@pytest.mark.parametrize("name", registry.NAMES)
def test_each_implementation_trains_with_the_same_call_on_nchw_images(name, tiny_data):
    """build_model, train (same arguments, same order), get_params: no per-name code."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    for library in registry.get(name).libraries:
        pytest.importorskip(library)
    module = registry.get(name).load()
    assert set(lenet5.SURFACE) <= set(module.__all__)
    model = side_by_side.model_from(name, lenet5.initial_params(0), RECIPE)
    history = module.train(model, *tiny_data, RECIPE, show_progress=False)
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(history)
    assert len(history["loss"]) == RECIPE.epochs
    trained = module.get_params(model)
    lenet5.check_params(trained)  # raises on a missing or misshapen tensor
    moved = side_by_side.largest_difference(trained, lenet5.initial_params(0))
    assert moved > 0, "training changed no weight"
    assert isinstance(module.device_name(), str) and module.device_name()
