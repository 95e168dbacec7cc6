"""Whether the indicator tables a store holds are still current, or must be computed anew.

``battlemap build`` writes the tables with a ``build`` entry in the import log; a later
import of an input layer makes them stale, and tables written by an older version (which
lack a column the indicators have now) are stale too. Pure: the caller reads the store.
"""

from __future__ import annotations

import pandas as pd

from analytics.measures import MEASURES, RATIOS
from analytics.records import OPTIONAL_LAYERS

INDICATOR_TABLES = ("village_indicators", "town_indicators", "county_indicators")
INPUTS = ("villages", "households", *OPTIONAL_LAYERS)


def is_current(tables: dict[str, pd.DataFrame], import_log: pd.DataFrame) -> bool:
    """True when ``tables`` (the three indicator tables) are complete and no input was imported after the build."""
    if not all(name in tables for name in INDICATOR_TABLES):
        return False
    log = import_log.reset_index(drop=True)
    if len(log):
        builds = log.index[log["action"] == "build"]
        after = log.iloc[builds[-1] + 1 :] if len(builds) else log
        if after["layer"].isin(INPUTS).any():
            return False
    wanted = {m.name for m in MEASURES} | {r.name for r in RATIOS}
    return all(wanted <= set(tables[name].columns) for name in INDICATOR_TABLES)
