"""PRIM, the Patient Rule Induction Method (Friedman and Fisher 1999, "Bump hunting in
high-dimensional data", Statistics and Computing 9, 123-143), for scenario discovery: find a box
(a range per input) inside which a binary outcome is much more frequent than overall.

Pure functions over numpy arrays; scripts/discover.py reads natosim files and draws figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Box:
    """Limits [lower, upper] per input (inclusive), and what the box holds."""
    lower: np.ndarray
    upper: np.ndarray
    coverage: float = 0.0   # share of all cases of interest (y = 1) inside the box
    density: float = 0.0    # share of cases of interest among the points inside the box
    support: float = 0.0    # share of all points inside the box
    count: int = 0          # points inside the box

    def inside(self, x: np.ndarray) -> np.ndarray:
        return np.all((x >= self.lower) & (x <= self.upper), axis=1)

    def restricted(self, x: np.ndarray) -> list:
        """Inputs whose limits cut into the data's range."""
        return [j for j in range(x.shape[1])
                if self.lower[j] > x[:, j].min() or self.upper[j] < x[:, j].max()]


@dataclass
class PrimResult:
    """The peeling trajectory (boxes from the whole space inward), the chosen box after
    pasting, and per restricted input its quasi-p-value."""
    trajectory: list
    chosen_index: int
    box: Box
    quasi_p: dict = field(default_factory=dict)


def _measure(box: Box, x: np.ndarray, y: np.ndarray) -> Box:
    inside = box.inside(x)
    n_in = int(inside.sum())
    hits = float(y[inside].sum())
    box.count = n_in
    box.support = n_in / len(y)
    box.density = hits / n_in if n_in else 0.0
    box.coverage = hits / y.sum() if y.sum() else 0.0
    return box


def _peel_once(box: Box, x: np.ndarray, y: np.ndarray, alpha: float):
    """The best single peel: remove the alpha-quantile slice at the low or high end of one input,
    whichever leaves the highest density. None when nothing can be peeled."""
    inside = box.inside(x)
    best = None
    for j in range(x.shape[1]):
        values = x[inside, j]
        if values.size == 0 or values.min() == values.max():
            continue
        for side in ("lower", "upper"):
            if side == "lower":
                cut = np.quantile(values, alpha, method="higher")
                keep = values >= cut
                if keep.all():
                    keep = values > values.min()
            else:
                cut = np.quantile(values, 1 - alpha, method="lower")
                keep = values <= cut
                if keep.all():
                    keep = values < values.max()
            if not keep.any() or keep.all():
                continue
            density = y[inside][keep].mean()
            # Ties: prefer removing fewer points (Friedman and Fisher's tie rule).
            score = (density, keep.sum())
            if best is None or score > best[0]:
                lower, upper = box.lower.copy(), box.upper.copy()
                if side == "lower":
                    lower[j] = values[keep].min()
                else:
                    upper[j] = values[keep].max()
                best = (score, Box(lower, upper))
    return None if best is None else best[1]


def _paste(box: Box, x: np.ndarray, y: np.ndarray, alpha: float) -> Box:
    """Pasting: repeatedly widen one limit to take in about alpha * (points in box) more points
    if that raises the density; stop when no widening does."""
    box = _measure(Box(box.lower.copy(), box.upper.copy()), x, y)
    while True:
        best = None
        step = max(1, int(round(alpha * box.count)))
        for j in range(x.shape[1]):
            others = np.all((x >= box.lower) & (x <= box.upper), axis=1, where=np.arange(
                x.shape[1]) != j)
            for side in ("lower", "upper"):
                if side == "lower":
                    candidates = np.sort(x[others & (x[:, j] < box.lower[j]), j])[::-1]
                else:
                    candidates = np.sort(x[others & (x[:, j] > box.upper[j]), j])
                if candidates.size == 0:
                    continue
                limit = candidates[min(step, candidates.size) - 1]
                lower, upper = box.lower.copy(), box.upper.copy()
                if side == "lower":
                    lower[j] = limit
                else:
                    upper[j] = limit
                trial = _measure(Box(lower, upper), x, y)
                if trial.density > box.density and (best is None or trial.density > best.density):
                    best = trial
        if best is None:
            return box
        box = best


def binomial_sf(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), summed in log space."""
    if k <= 0:
        return 1.0
    if p <= 0:
        return 0.0
    if p >= 1:
        return 1.0
    total = 0.0
    for i in range(k, n + 1):
        log_term = (math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
                    + i * math.log(p) + (n - i) * math.log1p(-p))
        total += math.exp(log_term)
    return min(1.0, total)


def quasi_p_values(box: Box, x: np.ndarray, y: np.ndarray) -> dict:
    """Per restricted input j: the one-sided binomial probability of seeing at least the box's
    cases of interest among its points if the density were that of the box with j's limits
    removed (the EMA Workbench's quasi-p-value). Small: the restriction matters."""
    result = {}
    inside = box.inside(x)
    k = int(y[inside].sum())
    n = int(inside.sum())
    for j in box.restricted(x):
        lower, upper = box.lower.copy(), box.upper.copy()
        lower[j], upper[j] = -np.inf, np.inf
        relaxed = Box(lower, upper).inside(x)
        p = float(y[relaxed].mean()) if relaxed.any() else 0.0
        result[j] = binomial_sf(k, n, p)
    return result


def prim(x, y, alpha: float = 0.05, min_support: float = 0.05, min_coverage: float = 0.0,
         density_share: float = 0.95, choose: int | None = None) -> PrimResult:
    """Peels from the whole data range until the box holds less than `min_support` of the points,
    chooses a box on the trajectory (at index `choose`, or by default the first - the one with
    the most coverage - whose density reaches `density_share` of the highest density among boxes
    with coverage at least `min_coverage`: past it, peeling buys little density for much
    coverage), pastes it and computes the quasi-p-values of its restrictions.
    `x`: (points, inputs); `y`: 0/1 per point. Raises ValueError for bad input."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError("x must be (points, inputs) and y one value per point")
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("the outcome must be 0 or 1")
    if y.sum() == 0:
        raise ValueError("no point has the outcome of interest")
    box = _measure(Box(x.min(axis=0), x.max(axis=0)), x, y)
    trajectory = [box]
    while box.support > min_support:
        peeled = _peel_once(box, x, y, alpha)
        if peeled is None:
            break
        peeled = _measure(peeled, x, y)
        if peeled.support < min_support:
            break
        trajectory.append(peeled)
        box = peeled
    if choose is None:
        eligible = [i for i, b in enumerate(trajectory) if b.coverage >= min_coverage] or [0]
        best = max(trajectory[i].density for i in eligible)
        choose = next(i for i in eligible if trajectory[i].density >= density_share * best)
    if not 0 <= choose < len(trajectory):
        raise ValueError(f"box index {choose} is outside the trajectory (0 to "
                         f"{len(trajectory) - 1})")
    chosen = _paste(trajectory[choose], x, y, alpha)
    return PrimResult(trajectory, choose, chosen, quasi_p_values(chosen, x, y))
