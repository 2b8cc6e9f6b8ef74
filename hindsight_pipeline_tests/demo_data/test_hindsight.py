from __future__ import annotations

import pandas as pd

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
        row = by_opportunity.loc[deal["salesforce_id"]]
        assert deal["amount"] is None or isinstance(deal["amount"], float)
        assert deal == {
            "id": row["hindsight_deal_id"],
            "name": row["opportunity_name"],
            "amount": None if pd.isna(row["amount"]) else float(row["amount"]),
            "salesforce_id": row.name,
            "hubspot_id": None,
            "status_id": row["stage_name"].lower().replace(" ", "_"),
            "type": row["opportunity_type"],
            "region": row["region"],
        }
