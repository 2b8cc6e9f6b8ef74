"""A wrapper that keeps the API key out of reprs, logs, exceptions and pickles."""

from __future__ import annotations

import hmac
from typing import NoReturn

_MASK = "**********"


class Secret:
    """A secret string: masked in ``repr``/``str``/``format``, unpicklable.

    The value is only handed out by :meth:`reveal`, which the client calls in exactly one
    place (the Authorization header). Anything that prints a ``Secret`` prints the mask.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        if not isinstance(value, str) or not value.strip():
            raise ValueError("the API key is empty")
        # A newline or other control character in a header value would be header injection;
        # say so without echoing the value.
        if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in value):
            raise ValueError("the API key contains whitespace or control characters")
        self._value = value

    def reveal(self) -> str:
        """The secret itself. Only for the Authorization header."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{_MASK}')"

    def __str__(self) -> str:
        return _MASK

    def __format__(self, format_spec: str) -> str:
        return _MASK

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> NoReturn:
        # Pickling would write the key in clear into whatever stores the pickle.
        raise TypeError("a Secret cannot be pickled")


def redact(text: str, secret: Secret | None) -> str:
    """``text`` with every occurrence of the secret replaced by the mask."""
    if secret is None:
        return text
    value = secret.reveal()
    return text.replace(value, _MASK) if value in text else text
