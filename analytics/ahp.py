"""AHP (analytic hierarchy process): criterion weights from pairwise comparisons, with Saaty's consistency check.

A planner says, for each pair of criteria, how much more important the first is on
Saaty's 1–9 scale (1 equal, 3 moderately, 5 strongly, 7 very strongly, 9 extremely;
reciprocals for the other way round). The weights are the principal eigenvector of the
reciprocal matrix; the consistency ratio CR = CI / RI, with CI = (λmax − n) / (n − 1)
and RI Saaty's random index, says whether the judgements hang together. A matrix with
CR above the limit (0.1) is refused: its weights would be noise.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from geodata._errors import InputError

# Saaty's random consistency index by matrix size (Saaty 1980; n = 1, 2 are always consistent).
RANDOM_INDEX = (0.0, 0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59)
CR_LIMIT = 0.1  # Saaty's; the app passes ``[sites] ahp_cr_limit``
SAATY_SCALE = (1 / 9, 1 / 7, 1 / 5, 1 / 3, 1.0, 3.0, 5.0, 7.0, 9.0)


class InconsistentJudgementsError(InputError):
    """Pairwise comparisons whose consistency ratio is above the limit; ``cr`` and the ``worst`` pair attached."""

    def __init__(self, msg: str, *, cr: float, worst: tuple[str, str]) -> None:
        super().__init__(msg)
        self.cr = cr
        self.worst = worst


@dataclass(frozen=True)
class AhpResult:
    """Weights (summing to 1) by criterion, the principal eigenvalue, CI and CR."""

    weights: dict[str, float]
    lambda_max: float
    ci: float
    cr: float


def pairwise_matrix(criteria: Sequence[str], judgements: Mapping[tuple[str, str], float]) -> np.ndarray:
    """The reciprocal matrix from judgements ``{(a, b): how much more important a is than b}``; missing pairs are 1."""
    index = {c: i for i, c in enumerate(criteria)}
    n = len(criteria)
    m = np.ones((n, n))
    for (a, b), value in judgements.items():
        unknown = [c for c in (a, b) if c not in index]
        if unknown:
            msg = f"unknown criterion {unknown[0]!r} in a pairwise judgement; criteria are {list(criteria)}"
            raise InputError(msg)
        if not value > 0 or not np.isfinite(value):
            msg = f"judgement {a} vs {b} must be a positive number (Saaty scale 1/9 … 9), got {value!r}"
            raise InputError(msg)
        m[index[a], index[b]] = value
        m[index[b], index[a]] = 1.0 / value
    return m


def ahp_weights(criteria: Sequence[str], matrix: np.ndarray, *, limit: float = CR_LIMIT) -> AhpResult:
    """Weights from a positive reciprocal matrix; refuses a matrix whose CR exceeds ``limit``.

    Parameters
    ----------
    criteria
        Names of the rows/columns of ``matrix``.
    matrix
        Square, positive, reciprocal (``m[j, i] == 1 / m[i, j]``).
    limit
        Largest accepted consistency ratio (Saaty: 0.1).

    Returns
    -------
    AhpResult
        Weights, λmax, CI and CR.

    """
    result = consistency(criteria, matrix)
    if result.cr > limit:
        worst = _worst_pair(criteria, np.asarray(matrix, float), np.array(list(result.weights.values())))
        msg = (
            f"pairwise comparisons are inconsistent: consistency ratio {result.cr:.3f} > {limit} "
            f"(the judgement {worst[0]} vs {worst[1]} disagrees most with the others); revise the judgements"
        )
        raise InconsistentJudgementsError(msg, cr=result.cr, worst=worst)
    return result


def consistency(criteria: Sequence[str], matrix: np.ndarray) -> AhpResult:
    """Eigenvector weights and the consistency figures, without refusing (for showing CR while editing)."""
    m = np.asarray(matrix, dtype=float)
    n = len(criteria)
    if m.shape != (n, n):
        msg = f"pairwise matrix must be {n}×{n} for criteria {list(criteria)}, got shape {m.shape}"
        raise InputError(msg)
    if not (np.all(m > 0) and np.allclose(m * m.T, 1.0, rtol=1e-6)):
        msg = "pairwise matrix must be positive and reciprocal (m[j][i] = 1 / m[i][j])"
        raise InputError(msg)
    values, vectors = np.linalg.eig(m)
    k = int(np.argmax(values.real))
    w = np.abs(vectors[:, k].real)
    w = w / w.sum()
    lam = float(values[k].real)
    ci = (lam - n) / (n - 1) if n > 2 else 0.0
    ri = RANDOM_INDEX[n] if n < len(RANDOM_INDEX) else RANDOM_INDEX[-1]
    cr = max(ci / ri, 0.0) if ri else 0.0
    return AhpResult({c: float(x) for c, x in zip(criteria, w, strict=True)}, lam, max(ci, 0.0), cr)


def _worst_pair(criteria: Sequence[str], m: np.ndarray, w: np.ndarray) -> tuple[str, str]:
    """The pair whose judgement departs most from the ratio of the weights (log scale)."""
    dev = np.abs(np.log(m * w[None, :] / w[:, None]))
    i, j = np.unravel_index(int(np.argmax(np.triu(dev, 1))), m.shape)
    return criteria[i], criteria[j]
