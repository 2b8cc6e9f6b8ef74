"""Pure validation and cleaning of what goes into a request. No I/O.

Rules (the contract callers rely on):

- Emails: surrounding whitespace stripped, the WHOLE address lowercased (Hindsight upserts
  contacts by email, so ``Jane@Acme.com`` and ``jane@acme.com`` must be one contact; no
  mail system in practice treats local parts case-sensitively). ASCII only, one ``@``,
  a dot-atom local part of at most 64 characters, a domain of dot-separated labels (at
  least two, letters/digits/hyphens, at most 63 each) whose last label is alphabetic (or a
  punycode ``xn--`` label); at most 254 characters in all. Quoted local parts, IP-literal
  domains and internationalized addresses are refused as ``invalid_email``.
- Control characters (Unicode category Cc) and lone surrogates are removed from every
  string. Free text (objective, contact_context) keeps ``\\n`` and ``\\t`` (``\\r\\n`` and
  ``\\r`` become ``\\n``); single-line fields (name, ids) turn ``\\n``/``\\t`` into a space.
  Surrounding whitespace is stripped; a string that is empty after cleaning counts as
  absent.
- Sizes (after cleaning): see the ``MAX_*`` constants. Oversized values are refused, never
  truncated: silently cutting a buyer's context would change what the interviewer is told.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from hindsight_pipeline.hindsight_api.errors import InvalidRequestError

MAX_EMAIL_LENGTH = 254
MAX_EMAIL_LOCAL_LENGTH = 64
MAX_NAME_LENGTH = 200
MAX_ID_LENGTH = 128
MAX_OBJECTIVE_LENGTH = 1000
MAX_CONTEXT_BYTES = 16 * 1024  # of the UTF-8 JSON serialization of contact_context
MAX_CONTEXT_DEPTH = 16

_ATEXT = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]"
_LOCAL_RE = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*")
_LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_TLD_RE = re.compile(r"[a-z]{2,63}|xn--[a-z0-9-]{1,59}")
_ID_RE = re.compile(r"[^\s]+")


def normalize_email(raw: str | None) -> str:
    """The normalized form of ``raw`` (stripped, lowercased), or InvalidRequestError.

    Raises ``InvalidRequestError(field="contact_email", reason="missing_email")`` for
    None or blank input and ``reason="invalid_email"`` for anything that is not a plain
    address.
    """
    if raw is None:
        raise InvalidRequestError("contact_email", "missing_email")
    if not isinstance(raw, str):
        raise InvalidRequestError("contact_email", "invalid_email", "not a string")
    email = raw.strip().lower()
    if not email:
        raise InvalidRequestError("contact_email", "missing_email")
    if not email.isascii():
        raise InvalidRequestError("contact_email", "invalid_email", "non-ASCII characters")
    if len(email) > MAX_EMAIL_LENGTH:
        raise InvalidRequestError(
            "contact_email", "invalid_email", f"longer than {MAX_EMAIL_LENGTH} characters"
        )
    local, sep, domain = email.rpartition("@")
    if not sep or not local or not domain:
        raise InvalidRequestError("contact_email", "invalid_email", "not of the form local@domain")
    if len(local) > MAX_EMAIL_LOCAL_LENGTH or not _LOCAL_RE.fullmatch(local):
        raise InvalidRequestError("contact_email", "invalid_email", "malformed local part")
    labels = domain.split(".")
    if (
        len(labels) < 2
        or not all(_LABEL_RE.fullmatch(label) for label in labels)
        or not _TLD_RE.fullmatch(labels[-1])
    ):
        raise InvalidRequestError("contact_email", "invalid_email", "malformed domain")
    return email


# Unicode category Cc (C0 and C1 controls) except tab and newline, and Cs (surrogates).
_CONTROLS_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _drop_controls(text: str, *, keep_newlines: bool) -> str:
    if keep_newlines:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    else:
        text = text.replace("\n", " ").replace("\t", " ")
    return _CONTROLS_RE.sub("", text)


def clean_text(value: Any, field: str, *, max_length: int, multiline: bool) -> str | None:
    """A free-text or single-line field: control characters removed, stripped, bounded.

    Returns None when the value is None or empty after cleaning.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRequestError(
            field, "invalid_type", f"expected a string, got {type(value).__name__}"
        )
    cleaned = _drop_controls(value, keep_newlines=multiline).strip()
    if not cleaned:
        return None
    if len(cleaned) > max_length:
        raise InvalidRequestError(field, "too_long", f"{len(cleaned)} > {max_length} characters")
    return cleaned


def clean_id(value: Any, field: str) -> str | None:
    """An id (sequence, interview type, deal): cleaned, no inner whitespace, bounded."""
    cleaned = clean_text(value, field, max_length=MAX_ID_LENGTH, multiline=False)
    if cleaned is not None and not _ID_RE.fullmatch(cleaned):
        raise InvalidRequestError(field, "invalid_id", "contains whitespace")
    return cleaned


def _clean_json(value: Any, path: str, depth: int) -> Any:
    if depth > MAX_CONTEXT_DEPTH:
        raise InvalidRequestError(
            "contact_context", "too_deep", f"nested deeper than {MAX_CONTEXT_DEPTH} at {path}"
        )
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidRequestError(
                "contact_context", "not_json_serializable", f"{path} is not a finite number"
            )
        return value
    if isinstance(value, str):
        return _drop_controls(value, keep_newlines=True)
    if isinstance(value, dict):
        cleaned: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidRequestError(
                    "contact_context", "not_json_serializable", f"a key of {path} is not a string"
                )
            clean_key = _drop_controls(key, keep_newlines=False).strip()
            cleaned[clean_key] = _clean_json(item, f"{path}.{clean_key}", depth + 1)
        return cleaned
    if isinstance(value, list | tuple):
        return [_clean_json(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value)]
    raise InvalidRequestError(
        "contact_context",
        "not_json_serializable",
        f"{path} is a {type(value).__name__}; convert it to str, int, float, bool, list or dict",
    )


def clean_context(value: Any) -> str | dict[str, Any] | None:
    """contact_context: a string (free text) or a JSON object, cleaned and size-bounded.

    Returns None when absent or empty (an empty context would overwrite the contact's
    notes with nothing).
    """
    if value is None:
        return None
    if isinstance(value, str):
        cleaned_text = _drop_controls(value, keep_newlines=True).strip()
        if not cleaned_text:
            return None
        _check_context_size(json.dumps(cleaned_text, ensure_ascii=False))
        return cleaned_text
    if isinstance(value, dict):
        cleaned = _clean_json(value, "contact_context", 0)
        if not cleaned:
            return None
        _check_context_size(json.dumps(cleaned, ensure_ascii=False, allow_nan=False))
        return dict(cleaned)
    raise InvalidRequestError(
        "contact_context",
        "invalid_type",
        f"expected a string or a dict, got {type(value).__name__}",
    )


def _check_context_size(serialized: str) -> None:
    size = len(serialized.encode("utf-8"))
    if size > MAX_CONTEXT_BYTES:
        raise InvalidRequestError(
            "contact_context", "too_long", f"{size} > {MAX_CONTEXT_BYTES} bytes serialized"
        )
