"""The demo county's people and their ledgers: households, C/D houses, work teams, projects, inspections.

Attributes are correlated the way county data are: remote, high villages are poorer,
have more C/D houses, more monitored households and fewer clinics; illness, disability
and lack of labour lower income and lead to monitoring; water safety follows the
village's supply. The numbers below shape a synthetic population; they are not
policy settings (those live in :mod:`geodata.settings`).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import shapely

from geodata.demo._names import birth_dates, person_names, phones, resident_ids, surname_pool, work_units

REGION = "621199"  # the demo county's code, also the birthplace prefix of its residents' IDs
INCOME_MEDIAN = 12500.0  # yuan per person per year in an average village
HOTSPOT_INCOME = 3600.0  # median in the two villages hit hardest (so the demo has 一高一低一无 villages)
MONITOR_INCOME = 7500.0  # below this, monitoring becomes likely (the synthetic population's line)
HARDSHIPS = {  # share of households and the income factor of each hardship (risk type)
    "illness": (0.07, 0.55),
    "disability": (0.035, 0.6),
    "labour": (0.05, 0.5),
    "schooling": (0.04, 0.8),
    "accident": (0.01, 0.6),
    "employment": (0.03, 0.75),
    "business": (0.01, 0.7),
}


def household_points(rng: np.random.Generator, v: dict, count: int) -> np.ndarray:
    """``count`` house positions clustered around the village's hamlets, all inside the village."""
    hamlets = v["hamlets"]
    share = rng.dirichlet(np.full(len(hamlets), 2.0))
    share[0] += 0.5  # the seat hamlet is the largest
    which = rng.choice(len(hamlets), size=count, p=share / share.sum())
    xy = hamlets[which] + rng.normal(0, 140, (count, 2))
    for spread in (100, 60, 30, 10):
        outside = ~shapely.contains_xy(v["polygon"], xy[:, 0], xy[:, 1])
        if not outside.any():
            break
        xy[outside] = hamlets[which[outside]] + rng.normal(0, spread, (outside.sum(), 2))
    outside = ~shapely.contains_xy(v["polygon"], xy[:, 0], xy[:, 1])
    xy[outside] = hamlets[which[outside]]
    return xy


def make_households(
    rng: np.random.Generator, villages: list[dict], as_of: dt.date, *, extras: np.random.Generator
) -> pd.DataFrame:
    """One row per household with canonical columns plus x, y (metres) and the village index.

    ``extras`` draws the columns added after the first version (rigid spending, 两不愁), so
    that adding them left every other column as it was.
    """
    counts = np.array([v["households"] for v in villages])
    vidx = np.repeat(np.arange(len(villages)), counts)
    n = int(counts.sum())

    def per_household(key: str) -> np.ndarray:
        return np.array([v[key] for v in villages])[vidx]

    remote = np.clip(per_household("remoteness"), 0, None)  # only remoteness above average matters
    xy = np.vstack([household_points(rng, v, int(c)) for v, c in zip(villages, counts, strict=True)])
    hard, members, income = _economy(rng, remote, per_household("hotspot"))
    mon = _monitoring(
        rng, as_of=as_of, income=income, hard=hard, remote=remote, former=per_household("former_poverty_village")
    )
    monitored = mon["status"] == "monitored"
    income = _recovered(extras, income, mon["risk_eliminated"], hotspot=per_household("hotspot"))
    mon["risk_found_on"] = _pending_clues(extras, mon["risk_found_on"], income=income, hard=hard, as_of=as_of)
    people = _identity(rng, villages, vidx, remote, as_of)
    seq = np.concatenate([np.arange(1, c + 1) for c in counts])
    codes = per_household("village_code")
    return pd.DataFrame(
        {
            "household_id": [f"{c}{s:04d}" for c, s in zip(codes, seq, strict=True)],
            "village_code": codes,
            **people,
            "members": members.astype("int64"),
            "per_capita_income": income,
            "disposable_income": np.round(income * extras.uniform(1.02, 1.12, n), -1),  # 可支配收入 ≠ 纯收入
            "rigid_spending": _rigid_spending(extras, hard, mon["status"]),
            "status": mon["status"],
            "monitor_type": mon["monitor_type"],
            "risk_types": mon["risk_types"],
            "risk_eliminated": mon["risk_eliminated"],
            **_two_no_worries(extras, hard),
            "education_ok": rng.random(n) > np.where(hard["schooling"] & monitored, 0.08, 0.004),
            "medical_insured": rng.random(n) > 0.006 + 0.006 * remote,
            "housing_grade": _housing_grades(rng, remote, monitored),
            "water_safe": rng.random(n) > per_household("water_unsafe_share"),
            "helper": _helpers(rng, villages, vidx, mon["status"]),
            "risk_found_on": mon["risk_found_on"],
            "identified_on": mon["identified_on"],
            "entered_on": mon["entered_on"],
            "x": xy[:, 0],
            "y": xy[:, 1],
            "village_index": vidx,
        }
    )


def _economy(
    rng: np.random.Generator, remote: np.ndarray, hotspot: np.ndarray
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Hardships, household size and per-capita income; hardship and remoteness lower income."""
    n = remote.size
    hard = {k: rng.random(n) < p * (1 + 0.35 * remote) for k, (p, _) in HARDSHIPS.items()}
    members = np.clip(1 + rng.poisson(2.4 - 0.25 * remote), 1, 9)
    members = np.where(hard["labour"], np.minimum(members, 2), members)
    log_income = np.log(INCOME_MEDIAN) - 0.28 * remote + rng.normal(0, 0.45, n)
    log_income = np.where(hotspot, np.log(HOTSPOT_INCOME) + rng.normal(0, 0.45, n), log_income)
    for k, (_, factor) in HARDSHIPS.items():
        log_income += np.where(hard[k], np.log(factor), 0.0)
    return hard, members, np.round(np.exp(log_income), -1)


def _recovered(
    rng: np.random.Generator, income: np.ndarray, eliminated: pd.arrays.BooleanArray, *, hotspot: np.ndarray
) -> np.ndarray:
    """Incomes after elimination: most households whose risk was eliminated now live above the monitoring line.

    Not in the two hotspot villages: there the eliminations stay on paper (消除存疑), and
    the villages still meet 一高一低一无.
    """
    done = np.asarray(eliminated.fillna(False), dtype=bool) & ~hotspot & (rng.random(income.size) < 0.9)
    above = np.round(MONITOR_INCOME * rng.uniform(1.05, 1.6, income.size), -1)
    return np.where(done, np.maximum(income, above), income)


def _pending_clues(
    rng: np.random.Generator, found: pd.Series, *, income: np.ndarray, hard: dict[str, np.ndarray], as_of: dt.date
) -> pd.Series:
    """Risk clues of the last 40 days on households not (yet) monitored: poor ones with a hardship, a few."""
    hardship = np.logical_or.reduce(list(hard.values()))
    clue = found.isna().to_numpy() & hardship & (income < MONITOR_INCOME) & (rng.random(income.size) < 0.03)
    days = rng.integers(3, 41, income.size).astype("timedelta64[D]")
    recent = pd.Series(np.datetime64(as_of, "D") - days).astype(found.dtype)
    return found.where(~clue, recent)


RIGID_SPENDING = {"illness": 6000.0, "schooling": 3500.0, "disability": 2500.0}  # median yuan/yr of each cost


def _rigid_spending(rng: np.random.Generator, hard: dict[str, np.ndarray], status: np.ndarray) -> np.ndarray:
    """Household rigid spending (刚性支出: medical, schooling, disability care), recorded for lifted and monitored ones.

    Income and spending are collected quarterly for 脱贫人口 and 监测对象 (seed 002); the
    other households have no figure (NaN), those without such a hardship spend 0.
    """
    n = status.size
    total = np.zeros(n)
    for kind, median in RIGID_SPENDING.items():
        total += np.where(hard[kind], np.round(median * rng.lognormal(0.0, 0.5, n), -2), 0.0)
    return np.where(status == "normal", np.nan, total)


def _two_no_worries(rng: np.random.Generator, hard: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """不愁吃, 不愁穿: secured almost everywhere; a rare failure in households that lack labour."""
    weak = hard["labour"]
    return {
        "food_ok": rng.random(weak.size) > np.where(weak, 0.01, 0.0002),
        "clothing_ok": rng.random(weak.size) > np.where(weak, 0.01, 0.0002),
    }


def _monitoring(
    rng: np.random.Generator,
    *,
    as_of: dt.date,
    income: np.ndarray,
    hard: dict[str, np.ndarray],
    remote: np.ndarray,
    former: np.ndarray,
) -> dict[str, object]:
    """Status, monitoring type, risk types, elimination and the three procedure dates."""
    n = income.size
    lifted = rng.random(n) < np.where(former, 0.32, 0.11) + 0.04 * remote
    any_hardship = np.logical_or.reduce(list(hard.values()))
    p_mon = 0.008 + 0.16 * (income < MONITOR_INCOME) * (0.4 + 0.6 * any_hardship) + 0.012 * remote
    monitored = rng.random(n) < p_mon
    sudden = monitored & (rng.random(n) < 0.12)
    hard = {**hard, "disaster": sudden & (rng.random(n) < 0.4)}
    legacy = rng.random(n) < 0.08
    risk_types: list[str | None] = [None] * n
    for i in np.flatnonzero(monitored):
        kinds = [k for k in hard if hard[k][i]] or [str(rng.choice(["employment", "illness", "other", "labour"]))]
        if legacy[i] and lifted[i]:
            kinds.append(str(rng.choice(["skills", "funds"])))  # 建档立卡-era causes still on old ledgers
        risk_types[i] = ";".join(kinds)

    def later(start: np.ndarray, late_share: float, on_time: tuple[int, int], late: tuple[int, int]) -> np.ndarray:
        days = np.where(rng.random(n) < late_share, rng.integers(*late, n), rng.integers(*on_time, n))
        return start + days.astype("timedelta64[D]")

    found = np.datetime64(as_of, "D") - rng.integers(5, 3 * 365, n).astype("timedelta64[D]")
    identified = later(found, 0.07, (2, 15), (16, 45))
    entered = later(identified, 0.06, (1, 10), (11, 30))
    age = (np.datetime64(as_of, "D") - identified).astype(int)
    entered_ok = entered <= np.datetime64(as_of, "D")
    eliminated = rng.random(n) < np.clip(0.1 + age / 900, 0, 0.85)

    def dates(values: np.ndarray) -> pd.Series:
        return pd.Series(np.where(monitored & (values <= np.datetime64(as_of, "D")), values, np.datetime64("NaT")))

    return {
        "status": np.where(monitored, "monitored", np.where(lifted, "lifted", "normal")),
        "monitor_type": pd.Series(
            np.where(monitored, np.where(sudden, "sudden", np.where(lifted, "unstable", "marginal")), None),
            dtype="object",
        ),
        "risk_types": pd.Series(risk_types, dtype="object"),
        "risk_eliminated": pd.array(np.where(monitored, eliminated & entered_ok, None), dtype="boolean"),
        "risk_found_on": dates(found).astype("datetime64[ms]"),
        "identified_on": dates(identified).astype("datetime64[ms]"),
        "entered_on": dates(entered).astype("datetime64[ms]"),
    }


def _housing_grades(rng: np.random.Generator, remote: np.ndarray, monitored: np.ndarray) -> np.ndarray:
    """Safety grades A/B/C/D/none: C and D more common in remote villages and monitored households."""
    p_c = 0.003 + 0.004 * remote + 0.006 * monitored
    p_d = 0.0008 + 0.0015 * remote
    draw = rng.random(remote.size)
    safe = np.where(rng.random(remote.size) < 0.35, "A", "B")
    return np.select([draw < p_d, draw < p_d + p_c, draw < p_d + p_c + 0.002], ["D", "C", "none"], safe)


def _identity(
    rng: np.random.Generator, villages: list[dict], vidx: np.ndarray, remote: np.ndarray, as_of: dt.date
) -> dict[str, object]:
    """Head of household's name, resident ID and phone (older heads in remote villages, fewer phones)."""
    n = vidx.size
    male = rng.random(n) < 0.86
    local = np.array([v["surnames"] for v in villages])[vidx, rng.integers(0, 3, n)]
    surname = np.where(rng.random(n) < 0.6, local, surname_pool(rng, n))
    ages = np.clip(rng.normal(56 + 4 * remote, 13, n), 22, 92).astype(int)
    return {
        "head_name": person_names(rng, surname, male),
        "id_number": resident_ids(rng, REGION, birth_dates(rng, as_of, ages), male),
        "phone": phones(rng, n, missing=0.04 + 0.04 * (ages > 75).mean()),
    }


def _helpers(rng: np.random.Generator, villages: list[dict], vidx: np.ndarray, status: np.ndarray) -> np.ndarray:
    """A helper (帮扶责任人) from the village's cadres for every lifted or monitored household."""
    helpers = _pick_per_village(rng, [v["helpers"] for v in villages], vidx)
    helpers[status == "normal"] = None
    return helpers


def _pick_per_village(rng: np.random.Generator, pools: list[list[str]], vidx: np.ndarray) -> np.ndarray:
    """For each row, a random member of its village's pool (vectorised over ragged pools)."""
    sizes = np.array([len(p) for p in pools])
    offsets = np.r_[0, np.cumsum(sizes)[:-1]]
    flat = np.array([x for p in pools for x in p], dtype=object)
    return flat[offsets[vidx] + (rng.random(len(vidx)) * sizes[vidx]).astype(int)]


def make_housing(
    rng: np.random.Generator, households: pd.DataFrame, as_of: dt.date, *, extras: np.random.Generator
) -> pd.DataFrame:
    """The year's C/D ledger: open cases for C/D houses, accepted cases for houses already made safe (now B).

    ``subsidy_paid`` (兑付, drawn from ``extras``): most accepted cases are paid, a few wait; no open case is.
    """
    year_start = dt.date(as_of.year, 1, 1)
    open_cases = households.index[households["housing_grade"].isin(["C", "D"])]
    done = households.index[households["housing_grade"].eq("B")]
    accepted = rng.choice(done, size=min(len(done), int(len(open_cases) * 0.9)), replace=False)
    rows = []
    span = max((as_of - year_start).days - 20, 1)
    for idx, is_open in [(i, True) for i in open_cases] + [(i, False) for i in sorted(accepted)]:
        appraised = year_start + dt.timedelta(days=int(rng.integers(0, span)))
        early = appraised.month <= 6
        deadline = dt.date(as_of.year, 10, 31) if early else dt.date(as_of.year + 1, 6, 30)
        grade = households.at[idx, "housing_grade"] if is_open else str(rng.choice(["C", "D"], p=[0.8, 0.2]))
        if not is_open:
            stage = "accepted"
        elif early:
            stage = str(rng.choice(["pending", "started", "completed"], p=[0.12, 0.33, 0.55]))
        else:
            stage = str(rng.choice(["pending", "started", "completed"], p=[0.55, 0.4, 0.05]))
        subsidy = float(rng.integers(25, 40) * 1000 if grade == "D" else rng.integers(8, 16) * 1000)
        rows.append((households.at[idx, "household_id"], grade, appraised, stage, deadline, subsidy))
    frame = pd.DataFrame(rows, columns=["household_id", "grade", "appraised_on", "stage", "deadline", "subsidy"])
    frame = frame.sort_values(["appraised_on", "household_id"], ignore_index=True)
    frame.insert(0, "case_id", [f"WF{as_of.year}{i + 1:05d}" for i in range(len(frame))])
    frame["subsidy_paid"] = frame["stage"].eq("accepted").to_numpy() & (extras.random(len(frame)) > 0.12)
    for col in ("appraised_on", "deadline"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ms]")
    return frame


def make_teams(rng: np.random.Generator, villages: list[dict], as_of: dt.date) -> pd.DataFrame:
    """One work team per key village: former poverty villages, the remotest and the hotspots."""
    remote = np.array([v["remoteness"] for v in villages])
    key = [
        v for v in villages if v["former_poverty_village"] or v["remoteness"] > np.quantile(remote, 0.8) or v["hotspot"]
    ]
    n = len(key)
    units = work_units(rng, n)
    weak_unit = {u: rng.random() < 0.2 for u in np.unique(units)}  # some departments let their teams slip
    weak = np.array([weak_unit[u] for u in units]) | (rng.random(n) < 0.06)
    checkin = np.clip(np.where(weak, rng.normal(0.86, 0.06, n), rng.normal(0.975, 0.015, n)), 0.5, 1.0)
    elapsed = (as_of - dt.date(as_of.year, 1, 1)).days / 365.0
    days = np.round(220 * elapsed * np.where(weak, rng.normal(0.85, 0.08, n), rng.normal(1.03, 0.05, n)))
    score = np.clip(40 + 55 * checkin + rng.normal(0, 4, n) - 8 * weak, 45, 99)
    leaders = person_names(rng, surname_pool(rng, n), rng.random(n) < 0.8)
    return pd.DataFrame(
        {
            "team_id": [f"T{i + 1:03d}" for i in range(n)],
            "village_code": [v["village_code"] for v in key],
            "unit": units,
            "leader": leaders,
            "members": rng.integers(2, 5, n).astype("int64"),
            "checkin_rate": np.round(checkin, 3),
            "days_in_village": days.astype("int64"),
            "last_inspected_on": pd.Series([pd.NaT] * n, dtype="datetime64[ms]"),
            "monthly_score": np.round(score, 1),
        }
    )


def year_scores(rng: np.random.Generator, teams: pd.DataFrame) -> np.ndarray:
    """Last year-end assessment (年度考核得分) of each team: near its monthly score, spread over all four grades."""
    weak = (teams["checkin_rate"] < 0.93).to_numpy()
    score = teams["monthly_score"].to_numpy() - 5 - 10 * weak + rng.normal(0, 8, len(teams))
    return np.round(np.clip(score, 40, 99), 1)


FINDINGS = [
    "驻村不住村，工作队员连续多日不在岗", "工作日志记录不完整", "打卡记录与实际在岗不符", "一户一策帮扶计划未更新",
    "监测对象识别不及时", "信息采集录入超时限", "饮水问题反映后未及时整改", "危房改造进度滞后",
    "帮扶责任人对户情不熟悉", "公示公告未按要求张贴", "三会一课记录缺失", "请销假制度执行不严",
]  # fmt: skip
FINDING_CATEGORY = {  # the check each demo finding is filed under ([findings] categories)
    "驻村不住村，工作队员连续多日不在岗": "驻村工作队", "工作日志记录不完整": "十清零",
    "打卡记录与实际在岗不符": "驻村工作队",
    "一户一策帮扶计划未更新": "监测帮扶", "监测对象识别不及时": "监测帮扶", "信息采集录入超时限": "监测帮扶",
    "饮水问题反映后未及时整改": "饮水安全", "危房改造进度滞后": "住房安全", "帮扶责任人对户情不熟悉": "两不愁三保障",
    "公示公告未按要求张贴": "十清零", "三会一课记录缺失": "十清零", "请销假制度执行不严": "驻村工作队",
}  # fmt: skip


def make_inspections(
    rng: np.random.Generator, teams: pd.DataFrame, households: pd.DataFrame, as_of: dt.date, months: int = 12
) -> pd.DataFrame:
    """A year of unannounced visits: ~30 teams a month, some households, findings and their rectification."""
    inspectors = person_names(rng, surname_pool(rng, 6), np.ones(6, bool))
    weak = (teams["checkin_rate"] < 0.93).to_numpy()
    p = np.where(weak, 2.0, 1.0)
    rows = []
    first = as_of - dt.timedelta(days=30 * months)
    monitored = households.index[households["status"].eq("monitored")]
    for m in range(months):
        for _ in range(int(rng.integers(22, 34))):
            t = int(rng.choice(len(teams), p=p / p.sum()))
            day = first + dt.timedelta(days=30 * m + int(rng.integers(0, 30)))
            if day >= as_of:
                continue
            village = teams.at[t, "village_code"]
            hh = None
            if rng.random() < 0.35:
                pool = monitored[households.loc[monitored, "village_code"].to_numpy() == village]
                hh = households.at[int(rng.choice(pool)), "household_id"] if len(pool) else None
            finding = str(rng.choice(FINDINGS)) if rng.random() < (0.55 if weak[t] else 0.2) else None
            age = (as_of - day).days
            rectified = finding is None or (age > 20 and rng.random() < 0.88)
            fixed_on = (
                day + dt.timedelta(days=int(rng.integers(3, min(age, 40) + 1))) if finding and rectified else None
            )
            rows.append(
                (day, str(rng.choice(inspectors)), teams.at[t, "team_id"], village, hh, finding, rectified, fixed_on)
            )
    frame = pd.DataFrame(
        rows,
        columns=[
            "date",
            "inspector",
            "team_id",
            "village_code",
            "household_id",
            "finding",
            "rectified",
            "rectified_on",
        ],
    ).sort_values(["date", "team_id"], ignore_index=True)
    frame.insert(0, "inspection_id", [f"DC{i + 1:05d}" for i in range(len(frame))])
    return _with_steps(frame)


def _with_steps(frame: pd.DataFrame) -> pd.DataFrame:
    """The rectification columns: a rectified finding went through every step on its date (closed), the rest open.

    Deadline and township are left empty, so they follow the settings and the village; no
    finding came from the field pack (``record_uuid`` empty).
    """
    found = frame["finding"].notna()
    done = found & frame["rectified_on"].notna()
    frame["category"] = frame["finding"].map(FINDING_CATEGORY)
    frame["township_code"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    frame["deadline"] = pd.NaT
    frame["status"] = np.where(done, "closed", np.where(found, "open", None))
    for col in ("rectifying_on", "verified_on", "closed_on"):
        frame[col] = frame["rectified_on"].where(done)
    for col in ("date", "rectified_on", "deadline", "rectifying_on", "verified_on", "closed_on"):
        frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ms]")
    frame["record_uuid"] = pd.Series(pd.NA, index=frame.index, dtype="string")  # typed at a desk, not synced
    return frame


PROJECT_KINDS = [
    ("产业发展", "肉牛养殖圈舍建设项目", (40, 200)), ("产业发展", "马铃薯良种繁育基地项目", (30, 150)),
    ("产业发展", "中药材种植扶持项目", (20, 120)), ("基础设施", "村组道路硬化项目", (80, 400)),
    ("基础设施", "农村饮水安全巩固提升工程", (50, 300)), ("基础设施", "产业路建设项目", (60, 250)),
    ("就业帮扶", "帮扶车间建设项目", (50, 200)), ("公共服务", "村卫生室标准化建设项目", (15, 60)),
    ("人居环境", "农村户厕改造项目", (20, 100)), ("金融帮扶", "小额信贷贴息项目", (5, 40)),
]  # fmt: skip


def make_projects(rng: np.random.Generator, villages: list[dict], towns: list[dict], as_of: dt.date) -> pd.DataFrame:
    """The year's funded projects (衔接资金项目): budgets, stages and disbursement, some towns lagging.

    The ledger also carries last year's projects (资金年度 one less), which this year's
    figures leave out, and the amount reimbursed (已报账金额) of each: spending is
    reimbursed some time after it is paid, so the money rate trails the stages.
    """
    lag = {t["index"]: rng.uniform(0.55, 1.05) for t in towns}
    year_share = (as_of - dt.date(as_of.year, 1, 1)).days / 365.0
    rows = []
    for v in villages:
        for _ in range(int(rng.poisson(1.6 + 1.2 * v["former_poverty_village"]))):
            category, item, budget = _project_kind(rng)
            progress = np.clip(rng.normal(year_share * 1.05, 0.2) * lag[v["town"]], 0, 1)
            status = (
                "planned"
                if progress < 0.05
                else "started"
                if progress < 0.7
                else "completed"
                if progress < 0.98
                else "reimbursed"
            )
            disbursed = (
                0.0 if status == "planned" else round(budget * (1.0 if status == "reimbursed" else progress), -2)
            )
            rows.append((f"{v['name']}{item}", v["village_code"], category, budget, disbursed, status))
    frame = _project_frame(rows, as_of.year)
    # drawn after everything above, so that the projects of the year stay as they were
    frame = pd.concat([frame, _last_years_projects(rng, villages, as_of.year - 1)], ignore_index=True)
    share = {"planned": (0.0, 0.0), "started": (0.0, 0.6), "completed": (0.4, 1.0), "reimbursed": (1.0, 1.0)}
    lo, hi = (frame["status"].map({s: bounds[k] for s, bounds in share.items()}).to_numpy() for k in (0, 1))
    frame.insert(6, "reimbursed_amount", np.round(frame["disbursed"] * rng.uniform(lo, hi), -2))
    frame["year"] = frame["year"].astype("int64")
    frame["as_of"] = pd.Timestamp(as_of).as_unit("ms")
    return frame


def _last_years_projects(rng: np.random.Generator, villages: list[dict], year: int) -> pd.DataFrame:
    """Last year's projects still in the ledger: completed or reimbursed, about one village in four."""
    rows = []
    for v in villages:
        if rng.random() < 0.25:
            category, item, budget = _project_kind(rng)
            status = "reimbursed" if rng.random() < 0.8 else "completed"
            disbursed = budget if status == "reimbursed" else round(budget * rng.uniform(0.85, 1.0), -2)
            rows.append((f"{v['name']}{item}", v["village_code"], category, budget, disbursed, status))
    return _project_frame(rows, year)


def _project_kind(rng: np.random.Generator) -> tuple[str, str, float]:
    """A project's category, name and budget (yuan)."""
    category, item, (lo, hi) = PROJECT_KINDS[int(rng.integers(len(PROJECT_KINDS)))]
    return category, item, float(rng.integers(lo, hi + 1) * 10000)


def _project_frame(rows: list[tuple], year: int) -> pd.DataFrame:
    """Project rows of one fund year, numbered XM<year>0001, XM<year>0002 and so on."""
    frame = pd.DataFrame(rows, columns=["name", "village_code", "category", "budget", "disbursed", "status"])
    frame.insert(0, "project_id", [f"XM{year}{i + 1:04d}" for i in range(len(frame))])
    frame["year"] = year
    return frame
