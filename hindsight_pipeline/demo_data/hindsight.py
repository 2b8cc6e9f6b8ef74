"""The Hindsight side of the demo: the deals a Hindsight org would know for this CRM.

`opportunities.hindsight_deal_id` takes two forms:
- `deal_<16 hex>`: a deal the Hindsight server knows (listed by `hindsight_deals`), so a
  POST /interviews with it is accepted;
- `deal_stale_<16 hex>`: an id the CRM kept after the deal was removed from Hindsight; the
  server does not know it and answers 400 bad_request naming deal_id.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from hindsight_pipeline.demo_data.frames import CrmFrames
from hindsight_pipeline.demo_data.ids import hex_ids

KNOWN_DEAL_ID_PREFIX = "deal_"
STALE_DEAL_ID_PREFIX = "deal_stale_"


def hindsight_deal_ids(index: npt.ArrayLike, seed: int, *, stale: bool) -> npt.NDArray[np.object_]:
    """The hindsight_deal_id of opportunities at `index`: unique, random-looking, fixed by
    the seed. Known and stale ids use different keys, so a stale id is never a known id
    with a different prefix."""
    key, prefix = (
        (seed * 2 + 2, STALE_DEAL_ID_PREFIX) if stale else (seed * 2 + 1, KNOWN_DEAL_ID_PREFIX)
    )
    return np.asarray(hex_ids(index, key, prefix).to_numpy(zero_copy_only=False), dtype=object)


def hindsight_deals(frames: CrmFrames) -> list[dict[str, Any]]:
    """The deals to load into a local Hindsight server, shaped like GET /deals items.

    One per opportunity (sync duplicates collapsed) with a known (not stale) id; deleted
    opportunities are included, as Hindsight would not have heard of the deletion.
    """
    opportunities = frames.opportunities.drop_duplicates("opportunity_id")
    deal_id = opportunities["hindsight_deal_id"]
    known = opportunities[
        deal_id.notna()
        & deal_id.str.startswith(KNOWN_DEAL_ID_PREFIX)
        & ~deal_id.str.startswith(STALE_DEAL_ID_PREFIX)
    ]
    status_id = known["stage_name"].str.lower().str.replace(" ", "_", regex=False)
    columns = {
        "id": known["hindsight_deal_id"],
        "name": known["opportunity_name"],
        "amount": known["amount"],
        "salesforce_id": known["opportunity_id"],
        "status_id": status_id,
        "type": known["opportunity_type"],
        "region": known["region"],
    }
    values = {
        name: column.to_numpy(dtype=object, na_value=None) for name, column in columns.items()
    }
    return [
        {
            "id": deal,
            "name": name,
            "amount": amount,
            "salesforce_id": salesforce_id,
            "hubspot_id": None,
            "status_id": status,
            "type": deal_type,
            "region": region,
        }
        for deal, name, amount, salesforce_id, status, deal_type, region in zip(
            *values.values(), strict=True
        )
    ]
