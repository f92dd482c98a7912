"""A linear attribute classifier over fact embeddings: what ``attributes.Prototypes`` asks when
its nearest-prototype vote names nothing, and what soft slot matching compares.

Multinomial logistic regression (softmax, L2 penalty ``lam``, bias unpenalised), trained on the
prototype facts alone (``vocab_prototypes``; the near misses are one more class that names
nothing) by a fixed number of accelerated gradient steps from zero weights: deterministic, and
the few steps (about 0.3 s on the 800 prototypes of a loaded 2-core machine) stop early, which
keeps the probabilities soft where the prototypes leave a wording open. Where k nearest
neighbours follow the wording of two prototypes, a linear score weighs every prototype of every
class, so a wording no prototype has still lands on the side of the attribute it shares most
with.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["Classifier", "pick", "overlap"]


class Classifier:
    """Class probabilities of embedding vectors, fitted once on labelled vectors."""

    def __init__(self, lam: float = 0.01, steps: int = 50, scale: float = 20.0) -> None:
        self.lam = lam
        self.steps = steps
        self.scale = scale  # unit vectors' logits need room: cosines differ by tenths
        self.keys: list[str] = []
        self._weights: np.ndarray | None = None

    def fit(self, vectors: np.ndarray, labels: Sequence[str]) -> Classifier:
        """Learn the weights; ``labels[i]`` is the class of ``vectors[i]``.

        Raises:
            ValueError: ``vectors`` and ``labels`` differ in length, or fewer than two classes.
        """
        if len(vectors) != len(labels):
            raise ValueError(f"{len(vectors)} vectors but {len(labels)} labels")
        self.keys = sorted(set(labels))
        if len(self.keys) < 2:
            raise ValueError("a classifier needs at least two classes")
        index = {k: i for i, k in enumerate(self.keys)}
        x = self._inputs(vectors)
        n = len(x)
        targets = np.zeros((n, len(self.keys)), dtype=np.float32)
        targets[np.arange(n), [index[k] for k in labels]] = 1.0
        penalty = np.full((x.shape[1], 1), self.lam, dtype=np.float32)
        penalty[-1] = 0.0  # the bias is free: a class's base rate is no overfit
        # the softmax loss is (1/2)||x||^2/n smooth at most: a safe step without a line search
        step = np.float32(1.0 / (0.5 * _top_singular(x) ** 2 / n + self.lam))
        weights = ahead = np.zeros((x.shape[1], len(self.keys)), dtype=np.float32)
        t = 1.0
        for _ in range(self.steps):  # Nesterov's accelerated gradient
            grad = x.T @ (_softmax(x @ ahead) - targets) / n + penalty * ahead
            new = ahead - step * grad
            t_next = (1.0 + (1.0 + 4.0 * t * t) ** 0.5) / 2.0
            ahead = new + np.float32((t - 1.0) / t_next) * (new - weights)
            weights, t = new, t_next
        self._weights = weights
        return self

    def proba(self, vectors: np.ndarray) -> np.ndarray:
        """(vectors x classes) probabilities, each row summing to 1, classes in ``keys`` order.

        Raises:
            RuntimeError: not fitted yet.
        """
        if self._weights is None:
            raise RuntimeError("fit the classifier before asking it")
        return _softmax(self._inputs(vectors) @ self._weights)

    def predict(self, vectors: np.ndarray, threshold: float = 0.5,
                abstain: str | None = None) -> list[str | None]:
        """The most probable class of each vector (``pick``)."""
        return pick(self.proba(vectors), self.keys, threshold, abstain)

    def _inputs(self, vectors: np.ndarray) -> np.ndarray:
        x = np.asarray(vectors, dtype=np.float32) * np.float32(self.scale)
        return np.hstack([x, np.ones((len(x), 1), dtype=np.float32)])


def pick(probs: np.ndarray, keys: Sequence[str], threshold: float,
         abstain: str | None = None) -> list[str | None]:
    """Each row's most probable key, or None where its probability is under ``threshold`` or
    it is the ``abstain`` key (the class that names nothing)."""
    out: list[str | None] = []
    for row in probs:
        best = int(np.argmax(row))
        out.append(keys[best] if row[best] >= threshold and keys[best] != abstain else None)
    return out


def overlap(p: np.ndarray, q: np.ndarray) -> float:
    """How much two class distributions agree: the chance two draws name the same class."""
    return float(np.dot(p, q))


def _softmax(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    return exp / exp.sum(axis=1, keepdims=True)


def _top_singular(x: np.ndarray, rounds: int = 20) -> float:
    """The largest singular value of ``x``, by power iteration (deterministic start)."""
    v = np.ones(x.shape[1], dtype=np.float32)
    for _ in range(rounds):
        v = x.T @ (x @ v)
        v /= np.linalg.norm(v)
    return float(np.linalg.norm(x @ v))
