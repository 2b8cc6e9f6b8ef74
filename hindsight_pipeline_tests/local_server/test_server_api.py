"""The local server speaks the reference's HTTP contract (raw httpx, no client in between)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from hindsight_pipeline.local_server import LocalHindsightServer, ServerConfig, generate_deals

KEY = "hs_local_dev_key"
AUTH = {"Authorization": f"Bearer {KEY}"}
SEQ = "seq_winloss_default"
ITYPE = "itype_winloss_buyer"


@pytest.fixture(scope="module")
def running() -> Iterator[LocalHindsightServer]:
    with LocalHindsightServer(ServerConfig(limit=1_000_000, deals=generate_deals(120))) as server:
        yield server


@pytest.fixture
def server(running: LocalHindsightServer) -> LocalHindsightServer:
    running.reset()
    return running


@pytest.fixture
def http(server: LocalHindsightServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=5.0) as client:
        yield client


def assert_rate_headers(response: httpx.Response) -> None:
    assert int(response.headers["X-RateLimit-Limit"]) == 1_000_000
    assert int(response.headers["X-RateLimit-Remaining"]) >= 0
    assert int(response.headers["X-RateLimit-Reset"]) % 60 == 0


def test_create_interview_201_body_exactly(
    http: httpx.Client, server: LocalHindsightServer
) -> None:
    response = http.post(
        "/interviews",
        headers=AUTH,
        json={
            "contact_email": "jane@acme.com",
            "contact_name": "Jane Smith",
            "contact_context": {"title": "VP of Engineering"},
            "sequence_id": SEQ,
            "deal_id": "deal_00001",
            "objective": "Understand the loss",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "interview_request_id",
        "contact_id",
        "deal_id",
        "survey_url",
        "survey_token",
        "status",
    }
    assert isinstance(body["interview_request_id"], int)
    assert body["status"] == "sent" and body["deal_id"] == "deal_00001"
    assert body["survey_url"] == f"{server.url}/survey?token={body['survey_token']}"
    assert body["survey_token"].startswith("tok_")
    assert_rate_headers(response)
    assert http.get(body["survey_url"]).status_code == 200
    (contact,) = server.contacts()
    assert contact["notes"] == json.dumps({"title": "VP of Engineering"})  # an object is serialized


def test_link_only_is_created(http: httpx.Client) -> None:
    body = http.post(
        "/interviews", headers=AUTH, json={"contact_email": "a@b.co", "interview_type_id": ITYPE}
    ).json()
    assert body["status"] == "created" and body["deal_id"] is None


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"sequence_id": SEQ}, "contact_email is required"),
        ({"contact_email": "", "sequence_id": SEQ}, "contact_email is required"),
        (
            {"contact_email": "nope", "sequence_id": SEQ},
            "contact_email is not a valid email address",
        ),
        ({"contact_email": "a@b.co"}, "sequence_id or interview_type_id is required"),
        ({"contact_email": "a@b.co", "sequence_id": "seq_x"}, "sequence_id not found"),
        ({"contact_email": "a@b.co", "interview_type_id": "it_x"}, "interview_type_id not found"),
        ({"contact_email": "a@b.co", "sequence_id": SEQ, "deal_id": "deal_x"}, "deal_id not found"),
        (
            {"contact_email": "a@b.co", "sequence_id": SEQ, "contact_context": [1]},
            "contact_context must be a string or an object",
        ),
        ([1, 2], "the body must be a JSON object"),
    ],
)
def test_bad_requests_use_the_envelope(
    http: httpx.Client, server: LocalHindsightServer, payload: object, message: str
) -> None:
    response = http.post("/interviews", headers=AUTH, json=payload)
    assert response.status_code == 400
    assert response.json() == {"error": {"code": "bad_request", "message": message}}
    assert_rate_headers(response)
    assert server.interviews() == []


def test_invalid_json_is_a_bad_request(http: httpx.Client, server: LocalHindsightServer) -> None:
    response = http.post(
        "/interviews", headers={**AUTH, "Content-Type": "application/json"}, content=b"{nope"
    )
    assert response.status_code == 400
    assert response.json()["error"] == {"code": "bad_request", "message": "invalid JSON body"}
    assert server.requests()[0]["body_error"] == "invalid_json"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": KEY},
        {"Authorization": "Basic aHM6eA=="},
    ],
)
def test_unauthorized(
    http: httpx.Client, server: LocalHindsightServer, headers: dict[str, str]
) -> None:
    for method, path in (("POST", "/interviews"), ("GET", "/interviews/1001"), ("GET", "/deals")):
        response = http.request(
            method, path, headers=headers, json={"contact_email": "a@b.co", "sequence_id": SEQ}
        )
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
        assert "X-RateLimit-Remaining" in response.headers
    records = server.requests()
    assert {r["auth"] for r in records} <= {"missing", "invalid"}
    assert all(r["rate_limit_remaining"] is None for r in records)  # 401s are not counted
    assert KEY not in json.dumps(records)


def test_get_interview_progresses_to_completed() -> None:
    with (
        LocalHindsightServer(ServerConfig(limit=1_000_000, completion_after_seconds=1.0)) as server,
        httpx.Client(base_url=server.base_url, headers=AUTH) as http,
    ):
        created = http.post(
            "/interviews",
            json={
                "contact_email": "jane@acme.com",
                "contact_name": "Jane Smith",
                "sequence_id": SEQ,
                "objective": "Learn why",
            },
        ).json()
        first = http.get(f"/interviews/{created['interview_request_id']}").json()
        assert first["status"] == "sent" and first["transcript"] is None
        assert first["email_sent_at"] and first["created_at"]
        assert server.wait_for(
            lambda: (
                http.get(f"/interviews/{created['interview_request_id']}").json()["status"]
                == "completed"
            ),
            timeout=5.0,
        )
        done = http.get(f"/interviews/{created['interview_request_id']}").json()
    assert set(done) == {
        "interview_request_id", "contact_id", "deal_id", "survey_url", "status", "objective",
        "email_sent_at", "created_at", "transcript",
    }  # fmt: skip
    transcript = done["transcript"]
    assert set(transcript) == {"document_id", "content", "created_at"}
    turns = transcript["content"].split("\n\n")
    assert turns[0].startswith("**Paige:** ") and turns[1].startswith("**Jane Smith:** ")


def test_unknown_interview_is_404(http: httpx.Client) -> None:
    for path in ("/interviews/999999", "/interviews/abc"):
        response = http.get(path, headers=AUTH)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_patch_interview(http: httpx.Client, server: LocalHindsightServer) -> None:
    created = http.post(
        "/interviews", headers=AUTH, json={"contact_email": "a@b.co", "sequence_id": SEQ}
    ).json()
    path = f"/interviews/{created['interview_request_id']}"
    response = http.patch(
        path, headers=AUTH, json={"contact_context": "Lost on price", "objective": "Price"}
    )
    assert response.status_code == 200 and response.json() == {
        "interview_request_id": created["interview_request_id"]
    }
    assert http.get(path, headers=AUTH).json()["objective"] == "Price"
    assert server.contacts()[0]["notes"] == "Lost on price"
    empty = http.patch(path, headers=AUTH, json={})
    assert empty.status_code == 400 and empty.json()["error"]["code"] == "bad_request"


def test_deals_paging_and_filters(http: httpx.Client) -> None:
    first = http.get("/deals", headers=AUTH).json()
    assert len(first) == 50  # default page size
    pages = [
        http.get("/deals", headers=AUTH, params={"page_size": 100, "page_index": i}).json()
        for i in range(3)
    ]
    assert [len(p) for p in pages] == [100, 20, 0]
    assert {
        "id",
        "name",
        "amount",
        "salesforce_id",
        "hubspot_id",
        "status_id",
        "type",
        "region",
    } <= set(pages[0][0])
    assert http.get("/deals", headers=AUTH, params={"page_size": 101}).status_code == 400
    lost = http.get(
        "/deals", headers=AUTH, params={"page_size": 100, "status": json.dumps(["Closed Lost"])}
    ).json()
    assert lost and all(d["status"] == "Closed Lost" for d in lost)
    found = http.get("/deals", headers=AUTH, params={"searchQuery": "006000000000007"}).json()
    assert [d["id"] for d in found] == ["deal_00007"]
    ordered = http.get(
        "/deals", headers=AUTH, params={"sort": "amount", "sort_order": "desc", "columns": "amount"}
    ).json()
    assert [set(d) for d in ordered] == [{"id", "amount"}] * 50
    assert [d["amount"] for d in ordered] == sorted((d["amount"] for d in ordered), reverse=True)
    assert http.get("/deals", headers=AUTH, params={"status": "not json"}).status_code == 400


def test_admin_endpoints(http: httpx.Client, server: LocalHindsightServer) -> None:
    admin = server.admin_url
    admin_http = httpx.Client(timeout=5.0)
    http.post("/interviews", headers=AUTH, json={"contact_email": "a@b.co", "sequence_id": SEQ})
    http.get("/deals", headers=AUTH)
    records = admin_http.get(f"{admin}/requests").json()
    assert [r["path"] for r in records] == ["/api/v1/interviews", "/api/v1/deals"]
    assert (
        admin_http.get(f"{admin}/requests", params={"since": 1}).json()[0]["path"]
        == "/api/v1/deals"
    )
    assert len(admin_http.get(f"{admin}/interviews").json()) == 1
    faults = admin_http.post(
        f"{admin}/faults", json={"by_email": {"X@B.co": "504_once"}, "rate_503": 0.1}
    ).json()
    assert faults["by_email"] == {"x@b.co": "504_once"} and faults["rate_503"] == 0.1
    assert (
        admin_http.post(f"{admin}/faults", json={"by_email": {"a@b.co": "explode"}}).status_code
        == 400
    )
    assert admin_http.post(f"{admin}/faults", json={"nonsense": 1}).status_code == 400
    spent = admin_http.post(f"{admin}/spend_budget", json={"remaining": 3}).json()
    assert spent["remaining"] == 3
    assert http.get("/deals", headers=AUTH).headers["X-RateLimit-Remaining"] == "2"
    assert admin_http.post(f"{admin}/reset").json() == {"ok": True}
    assert admin_http.get(f"{admin}/requests").json() == []  # admin calls are not logged or counted
    assert admin_http.get(f"{admin}/faults").json()["by_email"] == {}
    admin_http.close()
