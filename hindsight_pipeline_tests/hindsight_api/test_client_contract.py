"""The client against the local server over real loopback HTTP: fields, paths, error codes."""

from __future__ import annotations

import httpx
import pytest

from hindsight_pipeline.hindsight_api import (
    BadRequestError,
    CreateInterviewRequest,
    ErrorKind,
    NotFoundError,
    OutcomeUnknownError,
    UnauthorizedError,
)
from hindsight_pipeline.local_server import LocalHindsightServer
from hindsight_pipeline_tests.hindsight_api.conftest import (
    INTERVIEW_TYPE_ID,
    SEQUENCE_ID,
    AttemptLog,
    RecordingLimiter,
    client_for,
    posts,
)

pytestmark = pytest.mark.anyio


def full_request(email: str = "Jane.Smith@Acme.com") -> CreateInterviewRequest:
    return CreateInterviewRequest(
        contact_email=email,
        sequence_id=SEQUENCE_ID,
        contact_name="Jane Smith",
        contact_context={
            "title": "VP of Engineering",
            "crm": {"opportunity_id": "006A", "contact_id": "003B"},
        },
        deal_id="deal_00001",
        objective="Understand why we lost to Competitor X on pricing",
    )


async def test_every_field_reaches_the_server_on_the_sequence_path(
    server: LocalHindsightServer,
) -> None:
    request = full_request()
    async with client_for(server) as client:
        response = await client.create_interview(request)
        interview = await client.get_interview(response.interview_request_id)

    (received,) = posts(server)
    assert received["body"] == request.to_body()
    assert received["auth"] == "valid"
    assert response.status == "sent"
    assert response.attempts == 1
    assert response.deal_id == "deal_00001"
    assert response.survey_token and response.survey_token.startswith("tok_")
    assert response.survey_url == f"{server.url}/survey?token={response.survey_token}"
    (stored,) = server.interviews()
    assert stored["interview_request_id"] == response.interview_request_id
    assert stored["contact_email"] == "jane.smith@acme.com"
    assert stored["sequence_id"] == SEQUENCE_ID and stored["objective"] == request.objective
    (contact,) = server.contacts()
    assert contact["contact_id"] == response.contact_id
    assert contact["name"] == "Jane Smith"
    assert '"opportunity_id": "006A"' in contact["notes"]
    # GET /interviews/{id} echoes it, with the email sent on the sequence path.
    assert interview.interview_request_id == response.interview_request_id
    assert interview.status == "sent"
    assert interview.email_sent_at is not None and interview.created_at is not None
    assert interview.objective == request.objective
    assert interview.transcript is None


async def test_link_only_path_is_created_without_email(server: LocalHindsightServer) -> None:
    async with client_for(server) as client:
        response = await client.create_interview(
            CreateInterviewRequest(
                contact_email="bob@globex.com", interview_type_id=INTERVIEW_TYPE_ID
            )
        )
        interview = await client.get_interview(response.interview_request_id)
    assert response.status == "created"
    assert response.deal_id is None
    assert response.survey_url and response.survey_token
    assert interview.status == "created"
    assert interview.email_sent_at is None
    assert posts(server)[0]["body"] == {
        "contact_email": "bob@globex.com",
        "interview_type_id": INTERVIEW_TYPE_ID,
    }


async def test_contacts_are_upserted_by_email_and_context_overwrites(
    server: LocalHindsightServer,
) -> None:
    async with client_for(server) as client:
        first = await client.create_interview(full_request("jane@acme.com"))
        second = await client.create_interview(
            CreateInterviewRequest(
                contact_email="JANE@acme.com",
                interview_type_id=INTERVIEW_TYPE_ID,
                contact_name="Jane Q. Smith",
                contact_context="New notes",
            )
        )
    assert first.contact_id == second.contact_id
    assert first.interview_request_id != second.interview_request_id  # no idempotency key
    (contact,) = server.contacts()
    assert (contact["name"], contact["notes"]) == ("Jane Q. Smith", "New notes")


async def test_transcript_once_completed(server: LocalHindsightServer) -> None:
    async with client_for(server) as client:
        created = await client.create_interview(full_request())
        server.complete_interview(created.interview_request_id)
        interview = await client.get_interview(created.interview_request_id)
    assert interview.status == "completed"
    assert interview.transcript is not None
    assert interview.transcript.document_id
    assert interview.transcript.content.startswith("**Paige:** ")
    assert "\n\n**Jane Smith:** " in interview.transcript.content


async def test_update_interview_overwrites_context(server: LocalHindsightServer) -> None:
    async with client_for(server) as client:
        created = await client.create_interview(full_request())
        updated = await client.update_interview(
            created.interview_request_id,
            contact_context={"loss_reason": "Price"},
            objective="New goal",
        )
        interview = await client.get_interview(created.interview_request_id)
    assert updated == created.interview_request_id
    assert interview.objective == "New goal"
    assert server.contacts()[0]["notes"] == '{"loss_reason": "Price"}'
    patch = server.api_requests("PATCH")[0]
    assert patch["body"] == {"contact_context": {"loss_reason": "Price"}, "objective": "New goal"}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"sequence_id": "seq_nope"}, "sequence_id not found"),
        ({"interview_type_id": "itype_nope"}, "interview_type_id not found"),
        ({"sequence_id": SEQUENCE_ID, "deal_id": "deal_nope"}, "deal_id not found"),
    ],
)
async def test_bad_request_keeps_the_message_and_is_tried_once(
    server: LocalHindsightServer, fields: dict[str, str], message: str
) -> None:
    attempts = AttemptLog()
    async with client_for(server, on_attempt=attempts) as client:
        with pytest.raises(BadRequestError) as info:
            await client.create_interview(CreateInterviewRequest(contact_email="a@b.co", **fields))
    error = info.value
    assert (error.code, error.message, error.http_status, error.attempts) == (
        "bad_request",
        message,
        400,
        1,
    )
    assert error.kind is ErrorKind.PERMANENT
    assert len(posts(server)) == 1
    assert server.interviews() == []
    assert [(a.outcome, a.will_retry, a.http_status) for a in attempts] == [
        ("permanent", False, 400)
    ]


async def test_unauthorized_is_fatal_and_not_retried(server: LocalHindsightServer) -> None:
    async with client_for(server, api_key="hs_wrong_key") as client:
        with pytest.raises(UnauthorizedError) as info:
            await client.create_interview(full_request())
    assert info.value.stop_everything
    assert (info.value.http_status, info.value.attempts) == (401, 1)
    (received,) = posts(server)
    assert received["auth"] == "invalid"
    assert server.interviews() == []


async def test_unknown_interview_is_not_found(server: LocalHindsightServer) -> None:
    async with client_for(server) as client:
        with pytest.raises(NotFoundError) as info:
            await client.get_interview(999_999)
    assert info.value.http_status == 404 and info.value.permanent
    assert len(server.api_requests("GET")) == 1  # a permanent error is not retried, even on GET


@pytest.mark.parametrize(
    ("fault", "code"), [("504", "http_504"), ("502", "http_502"), ("crash", "http_500")]
)
async def test_gateway_errors_after_processing_are_outcome_unknown(
    server: LocalHindsightServer, fault: str, code: str
) -> None:
    server.set_faults(by_email={"a@b.co": fault})
    attempts = AttemptLog()
    async with client_for(server, on_attempt=attempts) as client:
        with pytest.raises(OutcomeUnknownError) as info:
            await client.create_interview(
                CreateInterviewRequest(contact_email="a@b.co", sequence_id=SEQUENCE_ID)
            )
    assert info.value.code == code and info.value.attempts == 1
    assert len(posts(server)) == 1  # never resent
    assert len(server.interviews()) == 1  # ...because it WAS created
    assert [(a.outcome, a.will_retry) for a in attempts] == [("outcome_unknown", False)]


async def test_dropped_connection_after_processing_is_outcome_unknown(
    server: LocalHindsightServer,
) -> None:
    server.set_faults(by_email={"a@b.co": "drop"})
    async with client_for(server) as client:
        with pytest.raises(OutcomeUnknownError) as info:
            await client.create_interview(
                CreateInterviewRequest(contact_email="a@b.co", sequence_id=SEQUENCE_ID)
            )
        # The pool recovers: the next request on the same client succeeds.
        ok = await client.create_interview(
            CreateInterviewRequest(contact_email="c@d.co", sequence_id=SEQUENCE_ID)
        )
    assert info.value.code == "connection_dropped"
    assert info.value.http_status is None and info.value.attempts == 1
    dropped = [r for r in posts(server) if r["body"]["contact_email"] == "a@b.co"]
    assert len(dropped) == 1 and dropped[0]["dropped"]
    assert {i["contact_email"] for i in server.interviews()} == {"a@b.co", "c@d.co"}
    assert ok.status == "sent"


async def test_read_timeout_is_outcome_unknown(server: LocalHindsightServer) -> None:
    server.set_faults(by_email={"slow@b.co": "slow_800"})
    timeout = httpx.Timeout(5.0, read=0.2)
    async with client_for(server, timeout=timeout) as client:
        with pytest.raises(OutcomeUnknownError) as info:
            await client.create_interview(
                CreateInterviewRequest(contact_email="slow@b.co", sequence_id=SEQUENCE_ID)
            )
    assert info.value.code == "read_timeout"
    assert len(posts(server)) == 1
    # The server goes on and creates it after its latency: the outcome really was unknown.
    assert server.wait_for(lambda: len(server.interviews()) == 1, timeout=5.0)


async def test_rate_limit_headers_reach_the_limiter_on_every_response(
    server: LocalHindsightServer,
) -> None:
    limiter = RecordingLimiter()
    async with client_for(server, limiter=limiter) as client:
        await client.create_interview(full_request())
        with pytest.raises(BadRequestError):
            await client.create_interview(
                CreateInterviewRequest(contact_email="a@b.co", sequence_id="seq_nope")
            )
        await client.list_deals()
    assert len(limiter.acquired) == len(limiter.observed) == 3
    assert [h.limit for h in limiter.observed] == [1_000_000] * 3
    remaining = [h.remaining or 0 for h in limiter.observed]
    assert remaining == sorted(remaining, reverse=True) and len(set(remaining)) == 3
    for headers in limiter.observed:
        assert headers.reset_at is not None and headers.reset_at % 60 == 0
    assert limiter.paused_until == []


async def test_the_client_reuses_connections(server: LocalHindsightServer) -> None:
    async with client_for(server) as client:
        for i in range(5):
            await client.create_interview(
                CreateInterviewRequest(contact_email=f"u{i}@b.co", sequence_id=SEQUENCE_ID)
            )
    assert len({r["client"] for r in posts(server)}) == 1
