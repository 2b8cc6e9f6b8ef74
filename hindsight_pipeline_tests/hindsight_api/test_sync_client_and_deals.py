"""The sync face, and GET /deals over every page."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from hindsight_pipeline.hindsight_api import (
    BadRequestError,
    CreateInterviewRequest,
    HindsightClient,
    OutcomeUnknownError,
)
from hindsight_pipeline.local_server import LocalHindsightServer, ServerConfig, generate_deals
from hindsight_pipeline_tests.hindsight_api.conftest import (
    FAST_RETRY,
    SEQUENCE_ID,
    AttemptLog,
    client_for,
)

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def deals_server() -> Iterator[LocalHindsightServer]:
    with LocalHindsightServer(ServerConfig(limit=1_000_000, deals=generate_deals(250))) as server:
        yield server


def test_sync_client_calls_reuse_one_connection(server: LocalHindsightServer) -> None:
    attempts = AttemptLog()
    with HindsightClient(
        server.base_url, server.api_key, retry=FAST_RETRY, on_attempt=attempts
    ) as client:
        created = client.create_interview(
            CreateInterviewRequest(contact_email="a@b.co", sequence_id=SEQUENCE_ID)
        )
        interview = client.get_interview(created.interview_request_id)
        deals = client.list_deals()
        assert (
            client.update_interview(created.interview_request_id, contact_name="A B")
            == created.interview_request_id
        )
        with pytest.raises(BadRequestError):
            client.create_interview(
                CreateInterviewRequest(contact_email="a@b.co", sequence_id="seq_nope")
            )
        server.set_faults(by_email={"x@b.co": "504"})
        with pytest.raises(OutcomeUnknownError):
            client.create_interview(
                CreateInterviewRequest(contact_email="x@b.co", sequence_id=SEQUENCE_ID)
            )
    assert interview.status == "sent"
    assert [d.id for d in deals] == [f"deal_{i:05d}" for i in range(1, 6)]
    assert len(attempts) == 6
    assert len({r["client"] for r in server.requests()}) == 1  # one pooled connection
    client.close()  # idempotent
    with pytest.raises(RuntimeError):
        client.list_deals()


def test_sync_client_is_safe_from_several_threads(server: LocalHindsightServer) -> None:
    with (
        HindsightClient(server.base_url, server.api_key, retry=FAST_RETRY) as client,
        ThreadPoolExecutor(8) as pool,
    ):
        emails = [f"t{i}@b.co" for i in range(40)]
        results = list(
            pool.map(
                lambda e: client.create_interview(
                    CreateInterviewRequest(contact_email=e, interview_type_id="itype_winloss_buyer")
                ),
                emails,
            )
        )
    assert len({r.interview_request_id for r in results}) == 40
    assert len(server.interviews()) == 40


def test_sync_client_refuses_bad_arguments_without_starting() -> None:
    with pytest.raises(ValueError):
        HindsightClient("ftp://x", "k")
    with pytest.raises(ValueError):
        HindsightClient("http://127.0.0.1:1/api/v1", "")


async def test_list_deals_reads_every_page(deals_server: LocalHindsightServer) -> None:
    deals_server.reset()
    async with client_for(deals_server) as client:
        deals = await client.list_deals()
        small_pages = await client.list_deals(page_size=50)
    assert len(deals) == 250
    assert [d.id for d in deals] == [f"deal_{i:05d}" for i in range(1, 251)]
    assert [d.id for d in small_pages] == [d.id for d in deals]
    queries = [r["query"] for r in deals_server.api_requests("GET", "/api/v1/deals")]
    assert queries[:3] == [f"page_size=100&page_index={i}" for i in range(3)]
    assert len(queries) == 3 + 6  # 100+100+50, then five full pages of 50 and an empty one
    deal = deals[2]
    assert deal.salesforce_id == "006000000000003"
    assert deal.hubspot_id == "90000003"
    assert deal.amount is not None and deal.name
    assert deal.extra["close_date"]  # unknown fields are kept


async def test_list_deals_filters(deals_server: LocalHindsightServer) -> None:
    async with client_for(deals_server) as client:
        lost = await client.list_deals(status=["Closed Lost"])
        not_lost = await client.list_deals(status=["Closed Lost"], status_filter_type="is not")
        globex = await client.list_deals(search_query="globex", sort="amount", sort_order="desc")
        big = await client.list_deals(amount={"min": 200_000})
    assert len(lost) + len(not_lost) == 250
    assert all(d.status_id == "closed_lost" for d in lost) and lost
    assert globex and all("Globex" in (d.name or "") for d in globex)
    amounts = [d.amount or 0.0 for d in globex]
    assert amounts == sorted(amounts, reverse=True)
    assert big and all((d.amount or 0) >= 200_000 for d in big)
