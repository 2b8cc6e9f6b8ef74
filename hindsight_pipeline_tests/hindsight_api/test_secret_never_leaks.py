"""The API key appears in no log record, exception text, traceback, repr or attempt record."""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
import socket
import traceback
from collections.abc import Iterator

import httpx
import pytest

from hindsight_pipeline.hindsight_api import (
    AsyncHindsightClient,
    CreateInterviewRequest,
    HindsightClient,
    HindsightError,
    RetryPolicy,
    Secret,
)
from hindsight_pipeline.local_server import LocalHindsightServer, ServerConfig
from hindsight_pipeline_tests.hindsight_api.conftest import SEQUENCE_ID, AttemptLog

KEY = "hs_live_SECRETSECRET123"


@pytest.fixture(scope="module")
def keyed_server() -> Iterator[LocalHindsightServer]:
    with LocalHindsightServer(ServerConfig(api_key=KEY, limit=1_000_000)) as server:
        yield server


def texts_of(error: BaseException) -> list[str]:
    """Everything an error can print: str, repr, the formatted traceback (with its chain),
    its attributes and its pickle."""
    out = [str(error), repr(error), "".join(traceback.format_exception(error)), repr(vars(error))]
    out.append(pickle.dumps(error).decode("latin-1"))
    cause: BaseException | None = error
    while cause is not None:
        out.append(repr(cause))
        cause = cause.__cause__ or cause.__context__
    return out


def refused_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/api/v1"


def test_the_key_never_leaks(
    keyed_server: LocalHindsightServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger: httpx, httpcore, ours, everything
    for name in ("httpx", "httpcore", "hindsight_pipeline", "asyncio"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    keyed_server.reset()
    keyed_server.set_faults(
        by_email={
            "e500@b.co": "500",
            "e503@b.co": "503",
            "e502@b.co": "502",
            "e504@b.co": "504",
            "crash@b.co": "crash",
            "drop@b.co": "drop",
            "burst@b.co": "429",
            "slow@b.co": "slow_600",
        }
    )
    errors: list[BaseException] = []
    attempts = AttemptLog()
    policy = RetryPolicy(max_attempts=2, base_delay=0.01, max_rate_limit_retries=0)

    def failing_callback(record: object) -> None:
        attempts.append(record)  # type: ignore[arg-type]
        raise RuntimeError("a bookkeeping bug")  # logged by the client, must not leak either

    async def scenario() -> list[str]:
        reprs: list[str] = []
        async with AsyncHindsightClient(
            keyed_server.base_url,
            KEY,
            retry=policy,
            on_attempt=failing_callback,
            timeout=httpx.Timeout(5.0, read=0.3),
        ) as client:
            reprs.append(repr(client))
            ok = await client.create_interview(
                CreateInterviewRequest(contact_email="ok@b.co", sequence_id=SEQUENCE_ID)
            )
            reprs.append(repr(ok))
            for email in (
                "e500@b.co",
                "e503@b.co",
                "e502@b.co",
                "e504@b.co",
                "crash@b.co",
                "drop@b.co",
                "slow@b.co",
            ):
                try:
                    await client.create_interview(
                        CreateInterviewRequest(contact_email=email, sequence_id=SEQUENCE_ID)
                    )
                except HindsightError as error:
                    errors.append(error)
            for fields in (
                {"sequence_id": "seq_nope"},
                {"sequence_id": SEQUENCE_ID, "deal_id": "nope"},
            ):
                try:
                    await client.create_interview(
                        CreateInterviewRequest(contact_email="a@b.co", **fields)
                    )
                except HindsightError as error:
                    errors.append(error)
            try:
                await client.get_interview(424242)
            except HindsightError as error:
                errors.append(error)
            try:
                CreateInterviewRequest(contact_email=KEY, sequence_id=SEQUENCE_ID)  # not an email
            except HindsightError as error:
                errors.append(error)
        async with AsyncHindsightClient(
            keyed_server.base_url.replace("/api/v1", "/api/v1"), "hs_wrong_" + KEY
        ) as wrong:
            reprs.append(repr(wrong))
            try:
                await wrong.list_deals()
            except HindsightError as error:
                errors.append(error)
        async with AsyncHindsightClient(refused_url(), KEY, retry=policy) as refused:
            try:
                await refused.get_interview(1)
            except HindsightError as error:
                errors.append(error)
        return reprs

    reprs = asyncio.run(scenario())
    # The slow request completes on the server after the client gave up; wait so it ends
    # before the server is reset by another test.
    assert keyed_server.wait_for(
        lambda: any(i["contact_email"] == "slow@b.co" for i in keyed_server.interviews())
    )

    with HindsightClient(keyed_server.base_url, Secret(KEY), retry=policy) as sync_client:
        reprs.append(repr(sync_client))
        sync_client.list_deals()
        try:
            sync_client.create_interview(
                CreateInterviewRequest(contact_email="e500@b.co", sequence_id=SEQUENCE_ID)
            )
        except HindsightError as error:
            errors.append(error)

    # Last, because it spends the window's whole budget: a 429 burst.
    async def burst() -> None:
        async with AsyncHindsightClient(
            keyed_server.base_url, KEY, retry=policy, on_attempt=attempts
        ) as client:
            try:
                await client.create_interview(
                    CreateInterviewRequest(contact_email="burst@b.co", sequence_id=SEQUENCE_ID)
                )
            except HindsightError as error:
                errors.append(error)

    asyncio.run(burst())

    # The key really was sent (the server accepted it) and every path really failed.
    assert keyed_server.interviews()
    codes = {getattr(e, "code", None) for e in errors}
    assert {
        "internal_error",
        "http_503",
        "http_502",
        "http_504",
        "http_500",
        "connection_dropped",
    } <= codes
    assert {
        "rate_limit_exceeded",
        "read_timeout",
        "bad_request",
        "not_found",
        "invalid_request",
    } <= codes
    assert {"unauthorized", "connect_failed"} <= codes
    assert len(attempts) >= 12

    haystacks: list[str] = list(reprs)
    for failure in errors:
        haystacks.extend(texts_of(failure))
    haystacks.extend(repr(a) for a in attempts)
    for record in caplog.records:
        haystacks.append(record.getMessage())
        haystacks.append(repr(record.args))
        if record.exc_info:
            haystacks.append("".join(traceback.format_exception(*record.exc_info)))
        if record.exc_text:
            haystacks.append(record.exc_text)
    haystacks.append(caplog.text)
    haystacks.append(json.dumps(keyed_server.requests(), default=str))  # the server's own log
    assert any("httpcore" in r.name for r in caplog.records)  # debug logging really was on
    assert any("hindsight_pipeline.hindsight_api" in r.name for r in caplog.records)
    leaks = [text for text in haystacks if KEY in text]
    assert leaks == []
