from __future__ import annotations

from hindsight_pipeline.demo_data import CrmFrames, hindsight_deals


def test_hindsight_deals_are_the_known_ids(small: CrmFrames) -> None:
    deals = hindsight_deals(small)
    opportunities = small.opportunities.drop_duplicates("opportunity_id")
    ids = opportunities["hindsight_deal_id"].dropna()
    known = ids[~ids.str.startswith("deal_stale_")]
    assert sorted(d["id"] for d in deals) == sorted(known)
    assert all(not d["id"].startswith("deal_stale_") for d in deals)
    assert len({d["id"] for d in deals}) == len(deals)

    by_opportunity = opportunities.set_index("opportunity_id")
    for deal in deals:
        assert set(deal) == {
            "id",
            "name",
            "amount",
            "salesforce_id",
            "hubspot_id",
            "status_id",
            "type",
            "region",
        }
        row = by_opportunity.loc[deal["salesforce_id"]]
        assert deal["id"] == row["hindsight_deal_id"]
        assert deal["name"] == row["opportunity_name"]
        assert deal["hubspot_id"] is None
        assert deal["status_id"] == row["stage_name"].lower().replace(" ", "_")
        assert deal["type"] == row["opportunity_type"] and deal["region"] == row["region"]
        assert deal["amount"] is None or isinstance(deal["amount"], float)
