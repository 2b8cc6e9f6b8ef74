"""Vectorized id formatting: Salesforce-like record ids and opaque hex ids.

Ids are written digit by digit over whole numpy arrays into a byte matrix that pyarrow
reads as strings in one step; formatting a million ids one by one in Python is what this
avoids.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

_BASE36 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)

ACCOUNT_PREFIX = "001"
CONTACT_PREFIX = "003"
OPPORTUNITY_PREFIX = "006"
SALESFORCE_ID_DIGITS = 15


def _bytes_to_strings(matrix: npt.NDArray[np.uint8]) -> pa.StringArray:
    """(n, width) ASCII codes -> a pyarrow string array of the rows."""
    width = matrix.shape[1]
    raw = np.ascontiguousarray(matrix).view(f"S{width}").ravel()
    return pa.array(raw, type=pa.binary(width)).cast(pa.string())


def _with_prefix(prefix: str, n: int, width: int) -> npt.NDArray[np.uint8]:
    matrix = np.empty((n, len(prefix) + width), dtype=np.uint8)
    matrix[:, : len(prefix)] = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    return matrix


def salesforce_ids(index: npt.ArrayLike, prefix: str) -> pa.StringArray:
    """`prefix` + the index in zero-padded upper-case base 36 (15 digits).

    Zero padding and the ASCII order of 0-9 before A-Z make string order equal index
    order, so sorting by id is sorting by generation order.
    """
    values = np.asarray(index, dtype=np.int64).copy()
    if values.size and (values.min() < 0 or values.max() >= 36**SALESFORCE_ID_DIGITS):
        raise ValueError("index out of range for a 15-digit base-36 id")
    matrix = _with_prefix(prefix, values.size, SALESFORCE_ID_DIGITS)
    digits = matrix[:, len(prefix) :]
    digits[:] = ord("0")
    # Only as many passes as the largest index needs; the leading digits stay "0".
    largest = int(values.max()) if values.size else 0
    used = 1
    while 36**used <= largest:
        used += 1
    for position in range(SALESFORCE_ID_DIGITS - 1, SALESFORCE_ID_DIGITS - 1 - used, -1):
        values, digit = np.divmod(values, 36)
        digits[:, position] = _BASE36[digit]
    return _bytes_to_strings(matrix)


def _mix64(values: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """splitmix64's finalizer: a bijection on uint64, so distinct inputs stay distinct."""
    z = values.copy()
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return z


def hex_ids(index: npt.ArrayLike, key: int, prefix: str) -> pa.StringArray:
    """`prefix` + 16 hex digits that look random but are unique per (index, key)."""
    with np.errstate(over="ignore"):
        mixed = _mix64(np.asarray(index, dtype=np.uint64) ^ np.uint64(key & (2**64 - 1)))
    matrix = _with_prefix(prefix, mixed.size, 16)
    digits = matrix[:, len(prefix) :]
    for position in range(15, -1, -1):
        digits[:, position] = _HEX[(mixed & np.uint64(0xF)).astype(np.intp)]
        mixed >>= np.uint64(4)
    return _bytes_to_strings(matrix)
