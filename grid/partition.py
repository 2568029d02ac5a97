"""Ordering cells along a Hilbert curve and cutting a sequence into balanced consecutive runs.

A Hilbert curve keeps nearby cells near each other in the sequence, so consecutive runs
of it are compact and mostly connected pieces of the map.
"""
from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate

_HILBERT_BITS = 16
_BISECTION_STEPS = 64


def _hilbert_index(x: int, y: int, side: int) -> int:
    """Position of lattice point (x, y) along the Hilbert curve filling a side × side square."""
    index = 0
    half = side // 2
    while half > 0:
        rx = 1 if x & half else 0
        ry = 1 if y & half else 0
        index += half * half * ((3 * rx) ^ ry)
        if ry == 0:  # rotate the quadrant so the curve's pieces join up
            if rx == 1:
                x, y = side - 1 - x, side - 1 - y
            x, y = y, x
        half //= 2
    return index


def hilbert_order(points: Sequence[tuple[float, float]]) -> list[int]:
    """Positions of `points` sorted along a Hilbert curve over their bounding square (ties by position)."""
    if not points:
        return []
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    min_x, min_y = min(xs), min(ys)
    span = max(max(xs) - min_x, max(ys) - min_y) or 1.0  # a square keeps the map's proportions
    side = 1 << _HILBERT_BITS
    scale = (side - 1) / span
    keys = [_hilbert_index(int((x - min_x) * scale), int((y - min_y) * scale), side) for x, y in points]
    return sorted(range(len(points)), key=lambda position: (keys[position], position))


def _chunks_needed(prefix: list[float], cap: float, slack: float) -> list[int]:
    """For each start i, the fewest consecutive runs of load ≤ cap covering items i…end."""
    n = len(prefix) - 1
    needed = [0] * (n + 1)
    end = n
    for start in range(n - 1, -1, -1):
        while prefix[end] - prefix[start] > cap + slack:
            end -= 1
        needed[start] = 1 + needed[end]
    return needed


def _fits(prefix: list[float], cap: float, parts: int, slack: float) -> bool:
    """Whether greedy runs of load ≤ cap cover all items in at most `parts` runs (O(parts·log n))."""
    n, start = len(prefix) - 1, 0
    for _ in range(parts):
        start = bisect_right(prefix, prefix[start] + cap + slack, lo=start + 1) - 1
        if start >= n:
            return True
    return False


def split_sequence(weights: Sequence[float], parts: int) -> list[list[int]]:
    """Cut positions 0…n-1 into `parts` consecutive runs whose largest load is as small as possible.

    Among cuts achieving that optimum, each run is cut as close as it can be to an equal
    share of what is left (by load, then by count), so the light runs are not all at the end.
    Every run is non-empty while there are items; with more parts than items the last runs are empty.
    """
    n = len(weights)
    if parts >= n:
        return [[i] for i in range(n)] + [[] for _ in range(parts - n)]
    prefix = list(accumulate(weights, initial=0.0))
    total = prefix[-1]
    slack = 1e-12 * max(total, 1.0)  # float sums of the same run can differ in the last bit
    low, high = max(max(weights), total / parts), total
    for _ in range(_BISECTION_STEPS):
        if high - low <= slack:
            break
        middle = (low + high) / 2
        if _fits(prefix, middle, parts, slack):
            high = middle
        else:
            low = middle
    cap = high
    needed = _chunks_needed(prefix, cap, slack)
    quantum = 1e-9 * max(total, 1.0)

    cuts, start = [], 0
    for remaining in range(parts, 1, -1):
        load_share = (total - prefix[start]) / remaining
        count_share = (n - start) / remaining
        best_key, best_end = None, start + 1
        for end in range(start + 1, n - remaining + 2):
            load = prefix[end] - prefix[start]
            if load > cap + slack:
                break
            if needed[end] > remaining - 1:
                continue
            key = (round(abs(load - load_share) / quantum), abs(end - start - count_share), end)
            if best_key is None or key < best_key:
                best_key, best_end = key, end
        cuts.append(best_end)
        start = best_end
    bounds = [0, *cuts, n]
    return [list(range(bounds[i], bounds[i + 1])) for i in range(parts)]
