from __future__ import annotations

from datetime import date

import pytest

from hindsight_pipeline.demo_data import CrmFrames, DemoDataConfig, generate_crm

# The smallest run the brief names: 3 days x 50 deals a day.
SMALL = DemoDataConfig(start_date=date(2024, 3, 1), end_date=date(2024, 3, 3), deals_per_day=50)
# Big enough for the bulk rates to produce every kind of dirt, still fast.
MEDIUM = DemoDataConfig(start_date=date(2024, 1, 1), end_date=date(2024, 3, 31), deals_per_day=300)


@pytest.fixture(scope="session")
def small() -> CrmFrames:
    return generate_crm(SMALL)


@pytest.fixture(scope="session")
def medium() -> CrmFrames:
    return generate_crm(MEDIUM)
