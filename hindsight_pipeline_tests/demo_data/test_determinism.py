from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from hindsight_pipeline.demo_data import CrmFrames, DemoDataConfig, generate_crm

from .conftest import SMALL


def _assert_same(left: CrmFrames, right: CrmFrames) -> None:
    for name, frame in left.tables().items():
        pd.testing.assert_frame_equal(frame, right.tables()[name], check_exact=True)
    pd.testing.assert_frame_equal(left.dirt, right.dirt, check_exact=True)


def test_same_seed_same_frames(small: CrmFrames) -> None:
    _assert_same(small, generate_crm(SMALL))


def test_different_seed_different_frames(small: CrmFrames) -> None:
    other = generate_crm(SMALL.replace(seed=SMALL.seed + 1))
    for name, frame in small.tables().items():
        assert not frame.equals(other.tables()[name]), name
    # Same shape of promise though: the scenarios are all still there.
    assert set(other.dirt["kind"][other.dirt["scenario"]]) == set(
        small.dirt["kind"][small.dirt["scenario"]]
    )


def test_for_opportunities_gives_exactly_that_many() -> None:
    config = DemoDataConfig.for_opportunities(1_234, end_date=date(2024, 6, 30), deals_per_day=100)
    assert config.start_date == date(2024, 6, 18)  # 13 days
    frames = generate_crm(config)
    assert frames.opportunities["opportunity_id"].nunique() == 1_234


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="before start_date"):
        DemoDataConfig(start_date=date(2024, 1, 2), end_date=date(2024, 1, 1))
    with pytest.raises(ValueError, match="scenario deals"):
        generate_crm(
            DemoDataConfig(start_date=date(2024, 1, 1), end_date=date(2024, 1, 1), deals_per_day=10)
        )
    # Without the scenarios, a tiny run is fine.
    tiny = DemoDataConfig(
        start_date=date(2024, 1, 1),
        end_date=date(2024, 1, 1),
        deals_per_day=10,
        include_scenarios=False,
    )
    assert generate_crm(tiny).opportunities["opportunity_id"].nunique() == 10
