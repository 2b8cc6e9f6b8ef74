from __future__ import annotations

from datetime import date

import pytest

from hindsight_pipeline.demo_data import DemoDataConfig, generate_crm


@pytest.mark.slow
def test_one_million_opportunities() -> None:
    """The generator scales to 1M opportunities with its keys intact (its time is measured
    by bench/demo_data_bench.py, not here)."""
    config = DemoDataConfig.for_opportunities(1_000_000, end_date=date(2025, 6, 30))
    frames = generate_crm(config)
    assert frames.opportunities["opportunity_id"].nunique() == 1_000_000
    # Sync copies are exact, except the two contact copies that disagree on purpose.
    assert frames.contacts["contact_id"].nunique() == len(frames.contacts.drop_duplicates()) - 2
