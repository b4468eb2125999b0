"""What the Keras chapter says Keras 3's sparse cross-entropy does, checked on Keras.

The chapter explains the two loss slips (logits read as probabilities, a
softmax applied twice) by what ``SparseCategoricalCrossentropy`` computes on
the TensorFlow backend. These tests hold each sentence to the installed Keras,
so that an upgrade that changes the behaviour fails here, not silently on the
page.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

pytestmark = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="the chapter describes the TensorFlow backend, the one the book uses",
)


@pytest.fixture
def scores_and_labels() -> tuple[np.ndarray, np.ndarray]:
    """Logit-like scores: some negative, some above 1, some between 0 and 1."""
    rng = np.random.default_rng(0)
    scores = rng.normal(0.0, 3.0, (64, 10)).astype(np.float32)
    scores[:, 0] = np.linspace(0.05, 0.95, 64)  # a column inside (0, 1)
    return scores, rng.integers(0, 10, 64)


def _loss(from_logits: bool):
    return keras.losses.SparseCategoricalCrossentropy(from_logits=from_logits)


def test_epsilon_is_the_one_the_chapter_quotes():
    assert keras.config.epsilon() == pytest.approx(1e-7)


def test_from_logits_false_clips_rescales_and_takes_the_log(scores_and_labels):
    """loss = mean of -log(c_y / sum_j c_j), c = scores clipped into [eps, 1 - eps]."""
    scores, labels = scores_and_labels
    eps = keras.config.epsilon()
    clipped = np.clip(scores.astype(np.float64), eps, 1 - eps)
    rescaled = clipped[np.arange(len(labels)), labels] / clipped.sum(axis=1)
    by_hand = np.mean(-np.log(rescaled))
    without_rescaling = np.mean(-np.log(clipped[np.arange(len(labels)), labels]))
    got = float(_loss(False)(labels, scores))
    assert got == pytest.approx(by_hand, rel=1e-4)
    assert abs(got - without_rescaling) > 0.1  # the rescaling is really there


def test_for_probabilities_from_logits_false_is_the_cross_entropy(scores_and_labels):
    scores, labels = scores_and_labels
    probabilities = np.asarray(tf.nn.softmax(scores))  # plain NumPy: no attached logits
    assert float(_loss(False)(labels, probabilities)) == pytest.approx(
        float(_loss(True)(labels, scores)), rel=1e-4
    )


def test_clipped_scores_get_no_gradient_and_the_others_do(scores_and_labels):
    scores, labels = scores_and_labels
    eps = keras.config.epsilon()
    x = tf.constant(scores)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = _loss(False)(labels, x)
    gradient = tape.gradient(loss, x).numpy()
    outside = (scores <= eps) | (scores >= 1 - eps)
    assert outside.any() and (~outside).any()
    assert np.all(gradient[outside] == 0)
    assert np.all(gradient[~outside] != 0)


def test_keras_softmax_carries_its_logits_to_the_loss(scores_and_labels):
    """The safety net: Keras' softmax output is read as its logits (warning if True)."""
    scores, labels = scores_and_labels
    right = float(_loss(True)(labels, scores))
    probabilities = keras.ops.softmax(tf.constant(scores))
    for from_logits, warns in ((True, True), (False, False)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            value = float(_loss(from_logits)(labels, probabilities))
        assert value == pytest.approx(right, rel=1e-5)
        assert any("from_logits=True" in str(w.message) for w in caught) == warns


def test_the_net_is_gone_once_the_probabilities_leave_keras(scores_and_labels):
    """A softmax computed elsewhere (here: through NumPy) is softmaxed a second time."""
    scores, labels = scores_and_labels
    probabilities = np.asarray(keras.ops.softmax(scores)).astype(np.float64)
    twice = np.exp(probabilities) / np.exp(probabilities).sum(axis=1, keepdims=True)
    by_hand = np.mean(-np.log(twice[np.arange(len(labels)), labels]))
    double = float(_loss(True)(labels, probabilities.astype(np.float32)))
    assert double == pytest.approx(by_hand, rel=1e-4)
    assert double >= np.log(9 + np.e) - 1  # the floor the chapter prints
