"""Tests of the PyTorch LeNet-5 (lenet_common.torch_lenet) and its exercise checks."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import importlib  # noqa: E402

from torch import nn  # noqa: E402

from lenet_common import lenet5, runtime  # noqa: E402
from lenet_common import torch_lenet as tl  # noqa: E402

# the module, not the package's train function of the same name
tl_train = importlib.import_module("lenet_common.torch_lenet.train")
from lenet_common.exercises import torch_lenet as ex  # noqa: E402


@pytest.fixture
def model() -> tl.LeNet5:
    torch.manual_seed(0)
    return tl.LeNet5()


@pytest.fixture(scope="module")
def sample_data():
    from lenet_common import data

    return data.load_lenet_data(quick=True)


# ---------------------------------------------------------------- the model


def test_model_has_61706_parameters(model):
    assert tl.count_parameters(model) == 61_706


def test_layers_have_the_books_names(model):
    names = {key.split(".")[0] for key in model.state_dict()}
    assert names == {"c1", "c3", "c5", "f6", "output"}  # s2, s4 hold no weights
    assert [row.name for row in tl.layer_summary(model)] == list(lenet5.LAYER_NAMES)


def test_summary_matches_the_shapes_table(model):
    shapes = pytest.importorskip("lenet_common.shapes")
    table = shapes.lenet5_table()
    rows = tl.layer_summary(model)
    by_name = {str(t.name).lower(): t for t in table}
    for row in rows:
        expected = by_name[row.name]
        shape = row.out_shape if len(row.out_shape) == 3 else (row.out_shape[0], 1, 1)
        assert shape == tuple(expected.out_shape), row.name
        assert row.params == expected.params, row.name
    assert sum(r.params for r in rows) == sum(t.params for t in table) == 61_706
    text = tl.compare_with_table(rows, table)
    assert "c5" in text and "(120, 1, 1)" in text


def test_compare_with_table_raises_on_a_difference(model):
    class Row:
        def __init__(self, name, out_shape, params):
            self.name, self.out_shape, self.params = name, out_shape, params

    rows = tl.layer_summary(model)
    table = [
        Row(
            r.name.upper(),
            r.out_shape if len(r.out_shape) == 3 else (r.out_shape[0], 1, 1),
            r.params,
        )
        for r in rows
    ]
    tl.compare_with_table(rows, table)  # identical: no error
    table[0] = Row("C1", (6, 28, 28), 157)
    with pytest.raises(AssertionError, match="c1"):
        tl.compare_with_table(rows, table)


def test_summary_shapes_follow_the_input(model):
    rows = tl.layer_summary(model)
    assert rows[0].out_shape == (6, 28, 28)
    assert rows[4].out_shape == (120, 1, 1)
    assert rows[-1].out_shape == (10,)
    with pytest.raises(ValueError, match="channels, height, width"):
        tl.layer_summary(model, (32, 32))


def test_layer_outputs_record_every_layer(model):
    outputs = tl.layer_outputs(model, torch.zeros(3, 1, 32, 32))
    assert list(outputs) == list(lenet5.LAYER_NAMES)
    assert outputs["s4"].shape == (3, 16, 5, 5)
    assert outputs["output"].shape == (3, 10)
    # hooks are removed afterwards
    assert all(not layer._forward_hooks for layer in model.children())


def test_forward_returns_logits_not_probabilities(model):
    logits = model(torch.randn(5, 1, 32, 32))
    assert logits.shape == (5, 10)
    assert not torch.allclose(logits.sum(dim=1), torch.ones(5))


# ---------------------------------------------------------------- training


def test_one_training_step_lowers_the_loss(model, sample_data):
    x = torch.as_tensor(sample_data.x_train[:256])
    y = torch.as_tensor(sample_data.y_train[:256])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    before = nn.functional.cross_entropy(model(x), y)
    optimizer.zero_grad()
    before.backward()
    optimizer.step()
    with torch.no_grad():
        after = nn.functional.cross_entropy(model(x), y)
    assert after.item() < before.item()


def test_a_short_quick_mode_run_beats_chance_clearly(sample_data):
    runtime.seed_everything(0)
    torch.manual_seed(0)
    model = tl.LeNet5()
    config = lenet5.Recipe(epochs=3, batch_size=64, learning_rate=0.05)
    history = tl.train(
        model,
        sample_data.x_train,
        sample_data.y_train,
        sample_data.x_val,
        sample_data.y_val,
        config,
        show_progress=False,
    )
    assert set(history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 3 for v in history.values())
    assert history["loss"][-1] < history["loss"][0]
    _, test_accuracy = tl.evaluate(model, sample_data.x_test, sample_data.y_test)
    assert test_accuracy > 0.8  # chance is 0.1
    predictions = tl.predict(model, sample_data.x_test)
    assert predictions.shape == sample_data.y_test.shape
    assert (predictions == sample_data.y_test).mean() == pytest.approx(test_accuracy)


def test_training_is_reproducible_with_a_seed(sample_data):
    x, y = sample_data.x_train[:512], sample_data.y_train[:512]
    config = lenet5.Recipe(epochs=1, batch_size=64, learning_rate=0.05, seed=3)
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        m = tl.LeNet5()
        runs.append(
            tl.train(m, x, y, x[:64], y[:64], config, show_progress=False)["loss"]
        )
    assert runs[0] == runs[1]


def test_train_refuses_images_in_the_wrong_layout(model, sample_data):
    nhwc = sample_data.x_train[:8].transpose(0, 2, 3, 1)
    with pytest.raises(ValueError, match=r"\(N, 1, 32, 32\)"):
        tl.train(
            model,
            nhwc,
            sample_data.y_train[:8],
            nhwc,
            sample_data.y_train[:8],
            lenet5.Recipe(epochs=1, batch_size=8, learning_rate=0.05),
            show_progress=False,
        )
    with pytest.raises(ValueError, match="one label per image"):
        tl.evaluate(model, sample_data.x_train[:8], sample_data.y_train[:7])


def test_the_optimizer_follows_the_recipe_schedule(model):
    recipe = lenet5.Recipe(epochs=2, batch_size=64, learning_rate=0.05)
    optimizer, scheduler = tl.make_optimizer(model, recipe, total_steps=20)
    rates = []
    for _ in range(20):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert rates == pytest.approx(
        [recipe.learning_rate_at(s, 20) for s in range(20)], rel=1e-12
    )
    group = optimizer.param_groups[0]
    assert (group["momentum"], group["weight_decay"], group["nesterov"]) == (
        recipe.momentum,
        recipe.weight_decay,
        False,
    )


# ---------------------------------------------------------------- saving


def test_state_dict_round_trip_gives_identical_outputs(model, tmp_path):
    path = tmp_path / "lenet5.pt"
    tl.save_weights(model, path)
    torch.manual_seed(1)
    reloaded = tl.load_weights(tl.LeNet5(), path)
    x = torch.randn(7, 1, 32, 32)
    model.eval()
    reloaded.eval()
    with torch.no_grad():
        assert torch.equal(model(x), reloaded(x))


def test_a_trained_model_and_its_saved_weights_compute_alike(sample_data, tmp_path):
    # on a CPU train() stores the maps channels-last while it trains, then puts
    # the weights back in torch's default order: a reload must give the same bits
    x, y = sample_data.x_train[:256], sample_data.y_train[:256]
    torch.manual_seed(0)
    trained = tl.LeNet5()
    recipe = lenet5.Recipe(epochs=1, batch_size=64, learning_rate=0.05)
    tl.train(trained, x, y, x[:64], y[:64], recipe, device="cpu", show_progress=False)
    assert all(p.is_contiguous() for p in trained.parameters())
    path = tmp_path / "trained.pt"
    tl.save_weights(trained, path)
    reloaded = tl.load_weights(tl.LeNet5(), path)
    x_test = sample_data.x_test[:300]
    assert np.array_equal(
        tl.predict_logits(trained, x_test), tl.predict_logits(reloaded, x_test)
    )


def test_loading_weights_of_the_wrong_shape_says_what_differs(tmp_path):
    path = tmp_path / "wide.pt"
    tl.save_weights(ex.wide_c1_model(8), path)
    with pytest.raises(
        ValueError,
        match=r"c1\.weight has shape \(8, 1, 5, 5\) in the file but \(6, 1, 5, 5\)",
    ):
        tl.load_weights(tl.LeNet5(), path)


def test_load_errors_name_the_file_not_the_machines_folders(tmp_path):
    # the book prints this error: a reader sees the file's name, not the build machine's paths
    path = tmp_path / "wide.pt"
    tl.save_weights(ex.wide_c1_model(8), path)
    with pytest.raises(ValueError, match="the weights in 'wide.pt' do not fit") as err:
        tl.load_weights(tl.LeNet5(), path)
    assert str(tmp_path) not in str(err.value)


def test_loading_a_file_with_other_layers_names_them(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"conv.weight": torch.zeros(3)}, path)
    with pytest.raises(
        ValueError, match="c1.weight is missing.*conv.weight is in the file"
    ):
        tl.load_weights(tl.LeNet5(), path)
    torch.save([1, 2, 3], path)
    with pytest.raises(ValueError, match="does not hold a state_dict"):
        tl.load_weights(tl.LeNet5(), path)


# ---------------------------------------------------------------- devices


@pytest.mark.parametrize(
    "cuda, mps, expected",
    [
        (True, True, "cuda"),
        (True, False, "cuda"),
        (False, True, "mps"),
        (False, False, "cpu"),
    ],
)
def test_device_choice_prefers_cuda_then_mps(cuda, mps, expected):
    assert runtime.choose_torch_device(cuda, mps) == expected


def test_torch_device_is_the_cpu_here(capsys):
    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    assert runtime.torch_device().type in ("cpu", "mps")
    assert capsys.readouterr().out.startswith("Device: ")


def test_torch_device_would_pick_cuda(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *_: "Fake GPU")
    assert runtime.torch_device().type == "cuda"
    assert "cuda (Fake GPU)" in capsys.readouterr().out


def test_torch_device_would_pick_mps(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert runtime.torch_device(verbose=False).type == "mps"


# ---------------------------------------------------------------- speed helpers


def test_mixed_precision_is_off_on_the_cpu():
    assert tl_train._amp_dtype(torch.device("cpu"), True) is None
    assert tl_train._amp_dtype(torch.device("cpu"), False) is None


def test_one_epoch_with_a_loss_scaler_trains(model, sample_data):
    x = torch.as_tensor(sample_data.x_train[:256])
    y = torch.as_tensor(sample_data.y_train[:256])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss, accuracy = tl.train_one_epoch(
        model,
        optimizer,
        None,
        x,
        y,
        64,
        order=torch.randperm(256),
        scaler=torch.amp.GradScaler("cpu"),
    )
    assert 0 < loss < 10 and 0 <= accuracy <= 1


def test_time_batch_fetching_times_both_ways(sample_data):
    times = tl.time_batch_fetching(
        sample_data.x_train[:512], sample_data.y_train[:512], 128
    )
    assert set(times) == {"DataLoader", "indexing"}
    assert all(t > 0 for t in times.values())
