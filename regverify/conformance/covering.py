"""Covering arrays: every pair of option values in a few rows, so option combinations are tested by design.

Hypothesis draws options independently, so a combination that only a few examples can hit (class weights ×
ignore_index × reduction; mode='batch' × a batch of more than one sample) may be missing from the few examples
of the ci profile. `pairwise(options)` returns rows (dicts) in which every pair of values of two different
options appears at least once (a strength-2 covering array, built greedily: for k options of v values each,
about v²·log k rows instead of the v^k of the full product). A property takes the rows as a
``@pytest.mark.parametrize`` axis, so every pair is run in every profile, whatever Hypothesis draws for the rest.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any


def _pairs(options: Mapping[str, Sequence[Any]]) -> set[tuple[str, int, str, int]]:
    names = list(options)
    return {(a, i, b, j) for a, b in itertools.combinations(names, 2)
            for i in range(len(options[a])) for j in range(len(options[b]))}


def pairwise(options: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Rows of option values covering every pair of values of two different options (deterministic).

    Greedy: each new row starts from the first uncovered pair and fixes the remaining options one by one to the
    value that covers the most uncovered pairs with what is fixed so far (ties: the first value).
    """
    names = list(options)
    for name in names:
        if not options[name]:
            raise ValueError(f"pairwise: option {name!r} has no values")
    if len(names) < 2:
        return [{name: value} for name in names for value in options[name]] or [{}]
    uncovered = _pairs(options)
    rows: list[dict[str, int]] = []
    while uncovered:
        a, i, b, j = min(uncovered, key=lambda pair: (names.index(pair[0]), pair[1], names.index(pair[2]), pair[3]))
        row = {a: i, b: j}
        for name in names:
            if name in row:
                continue

            def gain(value: int, name: str = name, row: dict[str, int] = row,
                     uncovered: set = uncovered) -> int:
                return sum(1 for other, index in row.items()
                           if (other, index, name, value) in uncovered or (name, value, other, index) in uncovered)

            row[name] = max(range(len(options[name])), key=lambda value: (gain(value), -value))
        rows.append(row)
        uncovered -= {(x, row[x], y, row[y]) for x, y in itertools.combinations(names, 2)}
    return [{name: options[name][row[name]] for name in names} for row in rows]


def covers_every_pair(rows: Sequence[Mapping[str, Any]], options: Mapping[str, Sequence[Any]]) -> bool:
    """Whether `rows` contain every pair of values of two different options (values compared with ==)."""
    for a, b in itertools.combinations(list(options), 2):
        for u, v in itertools.product(options[a], options[b]):
            if not any(row[a] == u and row[b] == v for row in rows):
                return False
    return True


def row_id(row: Mapping[str, Any]) -> str:
    """A short pytest id for one row: 'mode=batch,training=False'."""
    return ",".join(f"{name}={getattr(value, '__name__', value)!s}" for name, value in row.items())
