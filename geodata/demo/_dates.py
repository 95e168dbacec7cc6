"""The dates the demo's ledgers carry for their later steps, so that month-end snapshots move.

A risk marked eliminated gets the day it was (风险消除日期) and a C/D case the days it was
started, completed and accepted (开工, 竣工, 验收日期): each between the step before it and
the demo's reference date, so that a month-end in the past sees fewer of them done.
Drawn from their own random stream: every other column of the demo stays as it was.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

STAGE_DATES = ("started_on", "completed_on", "accepted_on")  # reached by started, completed, accepted
STAGE_RANK = {"pending": 0, "started": 1, "completed": 2, "accepted": 3}


def elimination_dates(rng: np.random.Generator, households: pd.DataFrame, as_of: dt.date) -> pd.Series:
    """风险消除日期: for each risk marked eliminated, a day at least 30 days after it was entered, before ``as_of``."""
    end = np.datetime64(as_of, "D") - np.timedelta64(1, "D")
    entered = households["entered_on"].to_numpy(dtype="datetime64[D]")
    start = np.maximum(entered + np.timedelta64(30, "D"), end - np.timedelta64(420, "D"))
    start = np.where(np.isnat(start) | (start > end), end, start)
    span = (end - start).astype("int64")
    day = start + (rng.random(len(households)) * (span + 1)).astype("int64").astype("timedelta64[D]")
    done = households["risk_eliminated"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    return pd.Series(np.where(done, day, np.datetime64("NaT")), index=households.index).astype("datetime64[ms]")


def stage_dates(rng: np.random.Generator, housing: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """开工, 竣工 and 验收日期 of each case: ordered days between its appraisal and ``as_of`` for the stages reached."""
    end = np.datetime64(as_of, "D") - np.timedelta64(1, "D")
    appraised = housing["appraised_on"].to_numpy(dtype="datetime64[D]")
    span = np.maximum((end - appraised).astype("int64"), 0)
    steps = np.sort(rng.random((len(housing), len(STAGE_DATES))), axis=1)
    rank = housing["stage"].map(STAGE_RANK).fillna(0).to_numpy()
    out = pd.DataFrame(index=housing.index)
    for k, column in enumerate(STAGE_DATES):
        day = appraised + (steps[:, k] * span).astype("int64").astype("timedelta64[D]")
        out[column] = pd.Series(np.where(rank > k, day, np.datetime64("NaT"))).astype("datetime64[ms]").to_numpy()
    return out
