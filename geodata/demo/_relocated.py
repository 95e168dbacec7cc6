"""The demo's follow-up ledger of relocated households (搬迁户后续扶持台账): who moved to which built site."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

MOVE_YEARS = (2017, 2020)  # the 13th five-year plan's relocation years (易地扶贫搬迁)
FILL = (0.55, 1.08)  # occupancy of a built site: most are partly filled, a few over capacity
EMPLOYED_SHARE = 0.45  # chance that a member of a relocated household has work
INCOME_GROWTH = (0.95, 2.2)  # per-capita income after the move as a multiple of before


def make_relocated(rng: np.random.Generator, facilities: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """Households of each ``relocation_site`` facility's township moved there, with employment and income.

    ``facilities`` are the demo's facility rows (``facility_id``, ``kind``, ``capacity``,
    ``village_code``), ``people`` its households (``household_id``, ``village_code``,
    ``members``, ``per_capita_income``). Each household moves at most once.
    """
    sites = facilities[facilities["kind"] == "relocation_site"]
    taken: set[str] = set()
    rows = []
    for site in sites.itertuples():
        pool = people[people["village_code"].str[:9] == str(site.village_code)[:9]]
        pool = pool[~pool["household_id"].isin(taken)]
        n = min(round(float(site.capacity or 0) * rng.uniform(*FILL)), len(pool))
        if n <= 0:
            continue
        chosen = pool.iloc[np.sort(rng.choice(len(pool), size=n, replace=False))]
        taken.update(chosen["household_id"])
        before = chosen["per_capita_income"].to_numpy(float)
        days = rng.integers(0, 365 * (MOVE_YEARS[1] - MOVE_YEARS[0] + 1), size=n)
        rows.append(
            pd.DataFrame(
                {
                    "household_id": chosen["household_id"].to_numpy(),
                    "site": site.facility_id,
                    "moved_on": [dt.date(MOVE_YEARS[0], 1, 1) + dt.timedelta(days=int(d)) for d in days],
                    "employed_members": rng.binomial(chosen["members"].to_numpy(int), EMPLOYED_SHARE),
                    "income_before": np.round(before / rng.uniform(*INCOME_GROWTH, size=n), -1),
                    "income_after": np.round(before, -1),
                    "subsidies": np.round(rng.uniform(2000, 8000, size=n), -2),
                }
            )
        )
    columns = ["household_id", "site", "moved_on", "employed_members", "income_before", "income_after", "subsidies"]
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=columns)
    out["moved_on"] = pd.to_datetime(out["moved_on"]).astype("datetime64[ms]")
    return out[columns]
