from __future__ import annotations

import resource
import time
from datetime import date

import pytest

from hindsight_pipeline.demo_data import DemoDataConfig, generate_crm


@pytest.mark.slow
def test_one_million_opportunities() -> None:
    config = DemoDataConfig.for_opportunities(1_000_000, end_date=date(2025, 6, 30))
    started = time.perf_counter()
    frames = generate_crm(config)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sizes = {name: len(frame) for name, frame in frames.tables().items()}
    print(f"\n1M opportunities: {seconds:.1f}s, process peak RSS {peak_mb:,.0f} MB, rows {sizes}")
    assert frames.opportunities["opportunity_id"].nunique() == 1_000_000
    assert frames.contacts["contact_id"].nunique() == len(frames.contacts.drop_duplicates())
    assert seconds < 60
