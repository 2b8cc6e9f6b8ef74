"""Request and response models of the Hindsight API (plain frozen dataclasses)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from hindsight_pipeline.hindsight_api.errors import InvalidRequestError
from hindsight_pipeline.hindsight_api.validation import (
    MAX_NAME_LENGTH,
    MAX_OBJECTIVE_LENGTH,
    clean_context,
    clean_id,
    clean_text,
    normalize_email,
)

InterviewStatus = Literal["created", "sent", "completed"]
ContactContext = str | dict[str, Any]


def _mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


@dataclass(frozen=True, kw_only=True)
class CreateInterviewRequest:
    """The body of ``POST /interviews``, validated and normalized on construction.

    Constructing one either yields a request that can be sent as is, or raises
    :class:`InvalidRequestError` naming the field (see :mod:`.validation` for the rules).
    Routing: at least one of ``sequence_id`` / ``interview_type_id``. When both are given the
    sequence wins and ``interview_type_id`` is dropped (set to None), because Hindsight takes
    the interview type from the sequence; the request then says exactly what is sent.
    Empty optional strings count as absent. The repr masks the email and hides the context
    (personal data).
    """

    contact_email: str
    sequence_id: str | None = None
    interview_type_id: str | None = None
    contact_name: str | None = None
    contact_context: ContactContext | None = None
    deal_id: str | None = None
    objective: str | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalize in place once, at construction
        set_(self, "contact_email", normalize_email(self.contact_email))
        sequence_id = clean_id(self.sequence_id, "sequence_id")
        interview_type_id = clean_id(self.interview_type_id, "interview_type_id")
        if sequence_id is None and interview_type_id is None:
            raise InvalidRequestError(
                "sequence_id",
                "missing_routing",
                "one of sequence_id or interview_type_id is required",
            )
        set_(self, "sequence_id", sequence_id)
        set_(self, "interview_type_id", None if sequence_id is not None else interview_type_id)
        set_(
            self,
            "contact_name",
            clean_text(
                self.contact_name, "contact_name", max_length=MAX_NAME_LENGTH, multiline=False
            ),
        )
        set_(self, "contact_context", clean_context(self.contact_context))
        set_(self, "deal_id", clean_id(self.deal_id, "deal_id"))
        set_(
            self,
            "objective",
            clean_text(
                self.objective, "objective", max_length=MAX_OBJECTIVE_LENGTH, multiline=True
            ),
        )

    @classmethod
    def create(cls, **fields: Any) -> CreateInterviewRequest:
        """Same as the constructor; unknown field names raise InvalidRequestError, not TypeError."""
        allowed = set(cls.__dataclass_fields__)
        for name in fields:
            if name not in allowed:
                raise InvalidRequestError(name, "unknown_field")
        if "contact_email" not in fields:
            raise InvalidRequestError("contact_email", "missing_email")
        return cls(**fields)

    def without_deal(self) -> CreateInterviewRequest:
        """The same request without ``deal_id`` (for the resend after 'deal_id not found')."""
        return CreateInterviewRequest(
            contact_email=self.contact_email,
            sequence_id=self.sequence_id,
            interview_type_id=self.interview_type_id,
            contact_name=self.contact_name,
            contact_context=self.contact_context,
            objective=self.objective,
        )

    def to_body(self) -> dict[str, Any]:
        """The JSON body as a dict, without the absent (None) fields."""
        body: dict[str, Any] = {"contact_email": self.contact_email}
        for name in (
            "contact_name",
            "contact_context",
            "sequence_id",
            "interview_type_id",
            "deal_id",
            "objective",
        ):
            value = getattr(self, name)
            if value is not None:
                body[name] = value
        return body

    def to_json(self) -> str:
        """The JSON body as a string (what goes on the wire)."""
        return json.dumps(
            self.to_body(), ensure_ascii=False, separators=(",", ":"), allow_nan=False
        )

    def __repr__(self) -> str:
        context = (
            None
            if self.contact_context is None
            else f"<{type(self.contact_context).__name__}, {len(json.dumps(self.contact_context))} chars>"
        )
        return (
            f"CreateInterviewRequest(contact_email={_mask_email(self.contact_email)!r}, "
            f"sequence_id={self.sequence_id!r}, interview_type_id={self.interview_type_id!r}, "
            f"deal_id={self.deal_id!r}, contact_name={'<set>' if self.contact_name else None}, "
            f"contact_context={context}, objective={'<set>' if self.objective else None})"
        )


class ResponseFormatError(ValueError):
    """A 2xx body that does not have the documented shape."""


def _require(body: dict[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = body.get(name)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise ResponseFormatError(f"{name} is missing or not a {kind}")
    return value


def _optional_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    return value if isinstance(value, str) else None


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _as_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ResponseFormatError("the body is not a JSON object")
    return body


@dataclass(frozen=True)
class CreateInterviewResponse:
    """The 201 answer of ``POST /interviews``, plus how many attempts the call took.

    ``status`` is ``"sent"`` (sequence path, outreach queued) or ``"created"`` (link only);
    another value from the server is kept as is rather than losing a created interview.
    """

    interview_request_id: int
    contact_id: str
    deal_id: str | None
    survey_url: str | None
    survey_token: str | None
    status: str
    attempts: int = 1

    @classmethod
    def from_body(cls, body: Any, *, attempts: int = 1) -> CreateInterviewResponse:
        data = _as_object(body)
        return cls(
            interview_request_id=_require(data, "interview_request_id", int),
            contact_id=str(_require(data, "contact_id", (str, int))),
            deal_id=_optional_str(data, "deal_id"),
            survey_url=_optional_str(data, "survey_url"),
            survey_token=_optional_str(data, "survey_token"),
            status=_require(data, "status", str),
            attempts=attempts,
        )


@dataclass(frozen=True)
class Transcript:
    """A completed interview's conversation (markdown, turns as ``**Name:** text``)."""

    document_id: str
    content: str
    created_at: datetime | None

    @classmethod
    def from_body(cls, body: Any) -> Transcript:
        data = _as_object(body)
        return cls(
            document_id=str(_require(data, "document_id", (str, int))),
            content=_require(data, "content", str),
            created_at=_parse_time(data.get("created_at")),
        )


@dataclass(frozen=True)
class Interview:
    """``GET /interviews/{id}``: an interview request's status and, once completed, transcript."""

    interview_request_id: int
    contact_id: str | None
    deal_id: str | None
    survey_url: str | None
    status: str
    objective: str | None
    email_sent_at: datetime | None
    created_at: datetime | None
    transcript: Transcript | None
    extra: dict[str, Any] = field(default_factory=dict)

    _KNOWN = frozenset(
        {
            "interview_request_id",
            "contact_id",
            "deal_id",
            "survey_url",
            "status",
            "objective",
            "email_sent_at",
            "created_at",
            "transcript",
        }
    )

    @classmethod
    def from_body(cls, body: Any) -> Interview:
        data = _as_object(body)
        transcript = data.get("transcript")
        contact_id = data.get("contact_id")
        return cls(
            interview_request_id=_require(data, "interview_request_id", int),
            contact_id=None if contact_id is None else str(contact_id),
            deal_id=_optional_str(data, "deal_id"),
            survey_url=_optional_str(data, "survey_url"),
            status=_require(data, "status", str),
            objective=_optional_str(data, "objective"),
            email_sent_at=_parse_time(data.get("email_sent_at")),
            created_at=_parse_time(data.get("created_at")),
            transcript=None if transcript is None else Transcript.from_body(transcript),
            extra={k: v for k, v in data.items() if k not in cls._KNOWN},
        )


@dataclass(frozen=True)
class Deal:
    """One deal of ``GET /deals``. ``id`` is the Hindsight deal id that POST /interviews
    accepts; ``salesforce_id`` / ``hubspot_id`` map it to the CRM. Fields not modelled here
    are kept in ``extra``."""

    id: str
    name: str | None = None
    amount: float | None = None
    salesforce_id: str | None = None
    hubspot_id: str | None = None
    status_id: str | None = None
    previous_status_id: str | None = None
    owner_id: str | None = None
    type: str | None = None
    region: str | None = None
    created_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    _STRINGS = ("salesforce_id", "hubspot_id", "status_id", "previous_status_id", "owner_id")

    @classmethod
    def from_body(cls, body: Any) -> Deal:
        data = _as_object(body)
        amount = data.get("amount")
        strings = {
            name: None if data.get(name) is None else str(data[name]) for name in cls._STRINGS
        }
        known = {"id", "name", "amount", "type", "region", "created_at", *cls._STRINGS}
        return cls(
            id=str(_require(data, "id", (str, int))),
            name=_optional_str(data, "name"),
            amount=float(amount)
            if isinstance(amount, int | float) and not isinstance(amount, bool)
            else None,
            type=_optional_str(data, "type"),
            region=_optional_str(data, "region"),
            created_at=_parse_time(data.get("created_at")),
            extra={k: v for k, v in data.items() if k not in known},
            **strings,
        )
