"""The steps of a finding's rectification (整改销号) and how a stored row says where it stands.

open 待整改 → rectifying 整改中 (the township reports what it did) → rectified 已整改 →
verified 已回访 (a follow-up visit saw it) → closed 已销号. Each step has its date column
in the ``inspections`` layer. Rows written before the steps existed carry only
``rectified`` / ``rectified_on``: such a row is ``closed`` when rectified (the old
command ticked a finding off, 销号, in one go) and ``open`` otherwise. A row without a
finding (a visit where nothing was found) has no status.

Shared by the writer (:mod:`geodata.private.findings`) and the analytics (draw, map,
wall, bulletin), so both read a row the same way.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from geodata._errors import InputError
from geodata.settings import FindingSettings, Settings, get_settings

STATUSES = ("open", "rectifying", "rectified", "verified", "closed")
# The date column of each step after open (open's date is the visit's).
STEP_DATE = {s: f"{s}_on" for s in STATUSES[1:]}  # rectifying_on, rectified_on, verified_on, closed_on
DONE = ("rectified", "verified", "closed")  # rectified as far as the township is concerned


def next_status(status: str) -> str | None:
    """The step after ``status`` (None after closed)."""
    i = STATUSES.index(status)
    return STATUSES[i + 1] if i + 1 < len(STATUSES) else None


def has_finding(frame: pd.DataFrame) -> pd.Series:
    """Rows that recorded a problem (a non-blank ``finding``)."""
    if "finding" not in frame:
        return pd.Series(False, index=frame.index)
    text = frame["finding"].astype("string").str.strip()
    return (text.notna() & text.ne("")).astype(bool)


def stored_status(frame: pd.DataFrame) -> pd.Series:
    """Each row's status as stored, derived for rows from before the steps (see the module); NA without a finding."""
    given = frame["status"].astype("string") if "status" in frame else pd.Series(pd.NA, frame.index, dtype="string")
    given = given.where(given.isin(STATUSES))
    rectified = frame["rectified"].astype("boolean").fillna(False) if "rectified" in frame else False
    legacy = pd.Series(["closed" if r else "open" for r in pd.Series(rectified, index=frame.index)], frame.index)
    return given.fillna(legacy.astype("string")).where(has_finding(frame))


def step_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """The date of each step after open (NaT where not taken or not known).

    A legacy row (no valid ``status``) went through every step on its ``rectified_on``.
    """
    out = pd.DataFrame(index=frame.index)
    for step, column in STEP_DATE.items():
        out[step] = pd.to_datetime(frame[column], errors="coerce") if column in frame else pd.NaT
    legacy = ~frame["status"].astype("string").isin(STATUSES) if "status" in frame else True
    legacy = pd.Series(legacy, index=frame.index).to_numpy()
    for step in STEP_DATE:
        out[step] = out[step].where(~legacy, out["rectified"])
    return out


def status_on(frame: pd.DataFrame, as_of: dt.date) -> pd.Series:
    """Each row's status on ``as_of``: a step dated after it has not happened yet (an undated step has)."""
    stored = stored_status(frame)
    rank = stored.map({s: i for i, s in enumerate(STATUSES)}).astype("Int64")
    dates = step_dates(frame)
    for step in reversed(STATUSES[1:]):
        i = STATUSES.index(step)
        later = (dates[step] > pd.Timestamp(as_of)).fillna(False).to_numpy()
        rank = rank.mask((rank >= i).fillna(False).to_numpy() & later, i - 1)
    return rank.map(lambda r: pd.NA if pd.isna(r) else STATUSES[int(r)]).astype("string")


def category_label(value: str | None, settings: FindingSettings) -> str | None:
    """The Chinese label of a category given in Chinese or English (None when not given); unknown is refused."""
    if value is None or not str(value).strip():
        return None
    label = category_labels(pd.Series([value]), settings).iloc[0]
    if pd.isna(label):
        msg = f"unknown finding category {str(value).strip()!r}; {category_choices(settings)}"
        raise InputError(msg)
    return str(label)


def category_labels(values: pd.Series, settings: FindingSettings) -> pd.Series:
    """Each value's Chinese category label (Chinese or English given, English in any case); NA when unknown or blank."""
    lookup = {zh: zh for zh in settings.categories}
    lookup |= {en.casefold(): zh for zh, en in settings.categories.items()}
    text = values.astype("string").str.strip()
    return text.map(lambda v: pd.NA if pd.isna(v) else lookup.get(v, lookup.get(v.casefold(), pd.NA))).astype("string")


def category_choices(settings: FindingSettings) -> str:
    """The allowed categories, for a refusal: "choose one of: 饮水安全 (drinking water safety); …"."""
    choices = "; ".join(f"{zh} ({en})" for zh, en in settings.categories.items())
    return f"choose one of: {choices} (settings [findings] categories)"


def deadline_days(category: object, settings: FindingSettings) -> int:
    """Days to rectify a finding of ``category`` (its own setting, else the default)."""
    if category is None or pd.isna(category):  # type: ignore[arg-type]
        return settings.default_deadline_days
    return int(settings.deadline_days.get(str(category), settings.default_deadline_days))


def deadlines(frame: pd.DataFrame, settings: Settings | None = None) -> pd.Series:
    """Each row's rectification deadline: its own ``deadline``, else the visit plus its category's days."""
    cfg = (settings or get_settings()).findings
    given = pd.to_datetime(frame.get("deadline", pd.Series(pd.NaT, frame.index)), errors="coerce")
    category = frame["category"] if "category" in frame else pd.Series(None, frame.index, dtype=object)
    days = pd.to_timedelta([deadline_days(c, cfg) for c in category], unit="D")
    derived = pd.to_datetime(frame["date"], errors="coerce") + pd.Series(days, index=frame.index)
    return given.fillna(derived).astype("datetime64[ns]")


def township_of(frame: pd.DataFrame) -> pd.Series:
    """The responsible township of each row: its ``township_code``, else its village's township (9 digits)."""
    own = frame["village_code"].astype("string").str[:9]
    if "township_code" not in frame:
        return own
    given = frame["township_code"].astype("string").str.strip()
    return given.where(given.notna() & given.ne(""), own)
