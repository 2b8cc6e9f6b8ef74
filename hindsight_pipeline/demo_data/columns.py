"""Helpers shared by the generator's steps: vocabularies as arrays, day numbers, draws.

During generation every table is a dict of column name -> numpy array: strings are
object arrays (None is NULL), dates are int64 day numbers since 1970-01-01, timestamps are
int64 microseconds since the epoch. Names starting with "_" are helper columns that the
final frames drop (codes into a vocabulary, the account index of a row, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import numpy as np
import numpy.typing as npt

Table = dict[str, np.ndarray]
Ints = npt.NDArray[np.int64]
Objects = npt.NDArray[np.object_]

EPOCH = date(1970, 1, 1)
MICROS_PER_DAY = 86_400_000_000


def day_number(day: date) -> int:
    return (day - EPOCH).days


def vocab(values: Sequence[str | None]) -> Objects:
    """An object array with a trailing None, so code -1 picks NULL."""
    array = np.empty(len(values) + 1, dtype=object)
    array[:-1] = list(values)
    array[-1] = None
    return array


def choose(rng: np.random.Generator, weights: Sequence[float], size: int) -> Ints:
    """Codes 0..len(weights)-1 drawn with the given relative weights."""
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum()).astype(np.int64)


def choose_by_row(rng: np.random.Generator, weights: Sequence[Sequence[float]], rows: Ints) -> Ints:
    """For each element, a code drawn from the weight row `rows[i]` of the matrix."""
    matrix = np.asarray(weights, dtype=float)
    cumulative = np.cumsum(matrix / matrix.sum(axis=1, keepdims=True), axis=1)
    draws = rng.random(rows.size)
    codes = np.empty(rows.size, dtype=np.int64)
    for row in range(matrix.shape[0]):  # a pass per weight row, not per element
        these = rows == row
        codes[these] = np.searchsorted(cumulative[row], draws[these], side="right")
    return np.minimum(codes, matrix.shape[1] - 1)


def rank_within_groups(keys: Ints) -> Ints:
    """0 for the first element of each key (in array order), 1 for the second, ..."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    is_start = np.ones(keys.size, dtype=bool)
    is_start[1:] = sorted_keys[1:] != sorted_keys[:-1]
    group_start = np.maximum.accumulate(np.where(is_start, np.arange(keys.size), 0))
    ranks = np.empty(keys.size, dtype=np.int64)
    ranks[order] = np.arange(keys.size) - group_start
    return ranks


def concat(*parts: np.ndarray | str) -> Objects:
    """Element-wise string concatenation of object arrays and scalars."""
    result: np.ndarray | str = parts[0]
    for part in parts[1:]:
        result = np.add(result, part, dtype=object)
    return np.asarray(result, dtype=object)


def int_strings(values: Ints) -> Objects:
    return np.asarray(values).astype(str).astype(object)
