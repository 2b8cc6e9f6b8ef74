"""Requests are validated and normalized before anything is sent."""

from __future__ import annotations

import json
import math
from decimal import Decimal

import pytest

from hindsight_pipeline.hindsight_api import (
    CreateInterviewRequest,
    ErrorKind,
    InvalidRequestError,
    normalize_email,
)
from hindsight_pipeline.hindsight_api.validation import MAX_CONTEXT_BYTES
from hindsight_pipeline.local_server import LocalHindsightServer
from hindsight_pipeline_tests.hindsight_api.conftest import (
    INTERVIEW_TYPE_ID,
    SEQUENCE_ID,
    client_for,
)

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("jane@acme.com", "jane@acme.com"),
        ("  Jane.Smith@Acme.COM \n", "jane.smith@acme.com"),
        ("o'brien+winloss@mail.example.co.uk", "o'brien+winloss@mail.example.co.uk"),
        ("x@xn--mller-kva.de", "x@xn--mller-kva.de"),
    ],
)
def test_normalize_email_accepts_and_lowercases(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "   ", "\t\n"])
def test_normalize_email_missing(raw: str | None) -> None:
    with pytest.raises(InvalidRequestError) as info:
        normalize_email(raw)
    assert (info.value.field, info.value.reason) == ("contact_email", "missing_email")


@pytest.mark.parametrize(
    "raw",
    [
        "jane",
        "jane@",
        "@acme.com",
        "jane@acme",
        "jane@@acme.com",
        "jane smith@acme.com",
        "jane@acme..com",
        "jane.@acme.com",
        "jane@-acme.com",
        "jane@acme.c",
        "jane@acme.123",
        "jürgen@müller.de",
        "jane\x00@acme.com",
        "Jane <jane@acme.com>",
        "a" * 65 + "@acme.com",
        "a@" + "b" * 250 + ".com",
        "jane@[192.168.0.1]",
        '"jane smith"@acme.com',
    ],
)
def test_normalize_email_invalid(raw: str) -> None:
    with pytest.raises(InvalidRequestError) as info:
        normalize_email(raw)
    assert (info.value.field, info.value.reason) == ("contact_email", "invalid_email")
    assert info.value.kind is ErrorKind.PERMANENT
    assert raw.strip() not in str(info.value) or not raw.strip()  # never echoes the value


def test_request_normalizes_every_field_and_builds_the_body() -> None:
    request = CreateInterviewRequest(
        contact_email=" Jane@Acme.COM ",
        sequence_id=" seq_winloss_default ",
        contact_name="Jane\x07 Smith\n",
        contact_context={
            "title": "VP\x00 of\r\nEngineering",
            "nested": {"notes": ["a\x1bb", 1, 2.5, True, None]},
        },
        deal_id="deal_00001",
        objective="Understand\x0b the loss\r\nto Competitor X\t(pricing)",
    )
    assert request.to_body() == {
        "contact_email": "jane@acme.com",
        "contact_name": "Jane Smith",
        "contact_context": {
            "title": "VP of\nEngineering",
            "nested": {"notes": ["ab", 1, 2.5, True, None]},
        },
        "sequence_id": "seq_winloss_default",
        "deal_id": "deal_00001",
        "objective": "Understand the loss\nto Competitor X\t(pricing)",
    }
    assert json.loads(request.to_json()) == request.to_body()
    assert "jane@acme.com" not in repr(request)  # personal data stays out of reprs


def test_absent_and_empty_optionals_are_left_out() -> None:
    request = CreateInterviewRequest(
        contact_email="a@b.co",
        interview_type_id=INTERVIEW_TYPE_ID,
        contact_name="  ",
        objective="",
        deal_id=None,
    )
    assert request.to_body() == {"contact_email": "a@b.co", "interview_type_id": INTERVIEW_TYPE_ID}


def test_string_context_keeps_newlines_and_tabs() -> None:
    request = CreateInterviewRequest(
        contact_email="a@b.co", sequence_id=SEQUENCE_ID, contact_context="Line 1\n\tLine 2\x00\x1f"
    )
    assert request.contact_context == "Line 1\n\tLine 2"


def test_sequence_wins_when_both_routing_ids_are_given() -> None:
    request = CreateInterviewRequest(
        contact_email="a@b.co", sequence_id=SEQUENCE_ID, interview_type_id=INTERVIEW_TYPE_ID
    )
    assert request.sequence_id == SEQUENCE_ID
    assert request.interview_type_id is None
    assert "interview_type_id" not in request.to_body()


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({}, "sequence_id", "missing_routing"),
        ({"sequence_id": "  ", "interview_type_id": ""}, "sequence_id", "missing_routing"),
        ({"sequence_id": "seq with space"}, "sequence_id", "invalid_id"),
        ({"sequence_id": "s" * 129}, "sequence_id", "too_long"),
        ({"sequence_id": 12}, "sequence_id", "invalid_type"),
        ({"sequence_id": SEQUENCE_ID, "deal_id": "d" * 200}, "deal_id", "too_long"),
        ({"sequence_id": SEQUENCE_ID, "contact_name": "n" * 201}, "contact_name", "too_long"),
        ({"sequence_id": SEQUENCE_ID, "objective": "o" * 1001}, "objective", "too_long"),
        (
            {"sequence_id": SEQUENCE_ID, "contact_context": ["a list"]},
            "contact_context",
            "invalid_type",
        ),
        (
            {"sequence_id": SEQUENCE_ID, "contact_context": {"amount": Decimal("1.5")}},
            "contact_context",
            "not_json_serializable",
        ),
        (
            {"sequence_id": SEQUENCE_ID, "contact_context": {"x": math.nan}},
            "contact_context",
            "not_json_serializable",
        ),
        (
            {"sequence_id": SEQUENCE_ID, "contact_context": {1: "int key"}},
            "contact_context",
            "not_json_serializable",
        ),
        (
            {"sequence_id": SEQUENCE_ID, "contact_context": "x" * (MAX_CONTEXT_BYTES + 1)},
            "contact_context",
            "too_long",
        ),
        (
            {
                "sequence_id": SEQUENCE_ID,
                "contact_context": {"notes": "é" * (MAX_CONTEXT_BYTES // 2)},
            },
            "contact_context",
            "too_long",
        ),
    ],
)
def test_invalid_requests_name_the_field(
    fields: dict[str, object], field: str, reason: str
) -> None:
    with pytest.raises(InvalidRequestError) as info:
        CreateInterviewRequest(contact_email="a@b.co", **fields)  # type: ignore[arg-type]
    assert (info.value.field, info.value.reason) == (field, reason)
    assert info.value.code == "invalid_request"
    assert info.value.http_status is None
    assert info.value.attempts == 0


def test_create_refuses_unknown_fields_and_missing_email() -> None:
    with pytest.raises(InvalidRequestError) as info:
        CreateInterviewRequest.create(contact_email="a@b.co", sequence_id=SEQUENCE_ID, nickname="x")
    assert (info.value.field, info.value.reason) == ("nickname", "unknown_field")
    with pytest.raises(InvalidRequestError) as info:
        CreateInterviewRequest.create(sequence_id=SEQUENCE_ID)
    assert info.value.reason == "missing_email"


def test_without_deal_keeps_everything_else() -> None:
    request = CreateInterviewRequest(
        contact_email="a@b.co",
        sequence_id=SEQUENCE_ID,
        deal_id="deal_x",
        objective="o",
        contact_context="c",
    )
    assert request.without_deal().to_body() == {
        k: v for k, v in request.to_body().items() if k != "deal_id"
    }


async def test_invalid_input_never_reaches_the_network(server: LocalHindsightServer) -> None:
    async with client_for(server) as client:
        for fields in (
            {"contact_email": "not-an-email", "sequence_id": SEQUENCE_ID},
            {"contact_email": None, "sequence_id": SEQUENCE_ID},
            {"contact_email": "a@b.co"},
            {"contact_email": "a@b.co", "sequence_id": SEQUENCE_ID, "objective": "o" * 5000},
        ):
            with pytest.raises(InvalidRequestError):
                await client.create_interview(CreateInterviewRequest.create(**fields))
        with pytest.raises(InvalidRequestError) as info:
            await client.get_interview(0)
        assert info.value.field == "interview_request_id"
        with pytest.raises(InvalidRequestError) as info:
            await client.list_deals(page_size=101)
        assert info.value.field == "page_size"
        with pytest.raises(InvalidRequestError):
            await client.update_interview(1001)
        with pytest.raises(TypeError):
            await client.create_interview({"contact_email": "a@b.co"})  # type: ignore[arg-type]
    assert server.requests() == []
