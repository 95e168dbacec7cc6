"""Candidate sites: the best contiguous, non-overlapping areas of at least the needed size on a suitability grid.

:func:`find_regions` ranks seed cells by the mean suitability of the site-sized window
around them (``scipy.ndimage.uniform_filter``, excluded cells count as 0 so a seed hard
against a hazard zone ranks lower), then grows a region from each seed over the best
neighbouring cells (best-first, with a small pull towards the seed so that sites stay
compact) until it holds the needed number of cells. A seed whose free neighbourhood is
too small is skipped with everything it reached; an accepted region blocks itself and a
gap around it, so the next site is a real alternative.
"""

from __future__ import annotations

import heapq

import numpy as np
from scipy import ndimage


def find_regions(
    score: np.ndarray, *, cells: int, top_k: int, gap_cells: int = 0, compactness: float = 0.05
) -> list[np.ndarray]:
    """Flat cell indices of up to ``top_k`` regions of ``cells`` 4-connected cells each, best first.

    Parameters
    ----------
    score
        Suitability of every cell, NaN where a site may not go.
    cells
        Cells per region.
    top_k
        How many regions at most.
    gap_cells
        Free cells kept between two regions.
    compactness
        Score given up per region-width of distance from the seed while growing.

    """
    valid = np.isfinite(score)
    if cells < 1 or not valid.any():
        return []
    flat = np.where(valid, score, -np.inf).ravel()
    window = max(int(np.ceil(np.sqrt(cells))), 1)
    focal = ndimage.uniform_filter(np.where(valid, score, 0.0), size=window, mode="constant").ravel()
    order = np.flatnonzero(valid.ravel())
    order = order[np.argsort(-focal[order], kind="stable")]
    free = valid.ravel().copy()
    regions: list[np.ndarray] = []
    pull = compactness / np.sqrt(cells)
    for seed in order:
        if not free[seed]:
            continue
        region, reached = _grow(int(seed), flat, free, cells=cells, pull=pull, shape=score.shape)
        if len(region) < cells:
            free[list(reached)] = False  # the whole pocket is too small: no seed in it can succeed
            continue
        regions.append(region)
        _block(free, region, gap_cells, score.shape)
        free[region] = False
        if len(regions) == top_k:
            break
    return regions


def _grow(
    seed: int, flat: np.ndarray, free: np.ndarray, *, cells: int, pull: float, shape: tuple[int, int]
) -> tuple[np.ndarray, set[int]]:
    """Best-first growth from ``seed`` over free cells; returns the region and every cell it reached."""
    rows, cols = shape
    sr, sc = divmod(seed, cols)
    heap = [(-flat[seed], seed)]
    reached = {seed}
    region: list[int] = []
    while heap and len(region) < cells:
        _, i = heapq.heappop(heap)
        region.append(i)
        r, c = divmod(i, cols)
        for nr, nc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
            if 0 <= nr < rows and 0 <= nc < cols:
                j = nr * cols + nc
                if j not in reached and free[j]:
                    reached.add(j)
                    heapq.heappush(heap, (-(flat[j] - pull * np.hypot(nr - sr, nc - sc)), j))
    return np.array(region, dtype=int), reached


def _block(free: np.ndarray, region: np.ndarray, gap: int, shape: tuple[int, int]) -> None:
    """Mark the region and ``gap`` cells around it (a square neighbourhood) as taken."""
    if gap <= 0:
        return
    rows, cols = np.divmod(region, shape[1])
    r0, r1 = max(rows.min() - gap, 0), min(rows.max() + gap + 1, shape[0])
    c0, c1 = max(cols.min() - gap, 0), min(cols.max() + gap + 1, shape[1])
    window = np.zeros((r1 - r0, c1 - c0), dtype=bool)
    window[rows - r0, cols - c0] = True
    grown = ndimage.binary_dilation(window, structure=np.ones((3, 3), bool), iterations=gap)
    rr, cc = np.nonzero(grown)
    free[(rr + r0) * shape[1] + cc + c0] = False
