"""The command line: flags become a ServerConfig; the server runs as a subprocess."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from hindsight_pipeline.local_server import start_server_process
from hindsight_pipeline.local_server.__main__ import build_parser, config_from_args


def test_flags_build_the_config(tmp_path: Path) -> None:
    deals = tmp_path / "deals.json"
    deals.write_text(json.dumps([{"id": "deal_A", "name": "A", "salesforce_id": "006A"}]))
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps({"by_email": {"a@b.co": "drop"}, "rate_500": 0.5}))
    args = build_parser().parse_args(
        [
            "--plan", "growth", "--window-seconds", "2.5", "--api-key", "hs_other",
            "--sequence-id", "seq_a", "--sequence-id", "seq_b", "--deals-file", str(deals),
            "--faults-file", str(faults), "--rate-503", "0.1", "--latency-uniform", "10,20", "--seed", "9",
            "--completion-after-seconds", "5",
        ]
    )  # fmt: skip
    config = config_from_args(args)
    assert (config.limit, config.window_seconds, config.api_key) == (300, 2.5, "hs_other")
    assert config.sequence_ids == ["seq_a", "seq_b"]
    assert config.interview_type_ids == ["itype_winloss_buyer"]
    assert [d["id"] for d in config.deals] == ["deal_A"]
    assert config.completion_after_seconds == 5
    assert config.faults.by_email == {"a@b.co": "drop"}
    assert (config.faults.rate_500, config.faults.rate_503, config.faults.seed) == (0.5, 0.1, 9)
    assert (
        config.faults.latency.kind,
        config.faults.latency.min_ms,
        config.faults.latency.max_ms,
    ) == ("uniform", 10, 20)
    assert "hs_other" not in repr(config)


def test_defaults() -> None:
    config = config_from_args(build_parser().parse_args([]))
    assert (config.api_key, config.limit, config.window_seconds) == ("hs_local_dev_key", 60, 60.0)
    assert config.sequence_ids == ["seq_winloss_default", "seq_winloss_enterprise"]
    assert [d["id"] for d in config.deals] == [f"deal_{i:05d}" for i in range(1, 6)]


def test_server_process_serves_and_stops() -> None:
    process, base_url = start_server_process(["--limit", "7", "--generate-deals", "3"])
    try:
        response = httpx.get(
            f"{base_url}/deals", headers={"Authorization": "Bearer hs_local_dev_key"}
        )
        assert response.status_code == 200 and len(response.json()) == 3
        assert response.headers["X-RateLimit-Limit"] == "7"
    finally:
        process.terminate()
        process.wait(timeout=10)
