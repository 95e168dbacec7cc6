"""A synthetic province for the scale benchmark: many plain counties, each generated from its number alone.

Each county is a grid of square villages (10 townships × 16 villages), households spread
uniformly inside them with random but well-formed attributes, a road grid, a clinic per
village, schools and governments per township, a few hazard boxes, one water sample per
village in the window, projects, teams and inspections. Generation is vectorised and
deterministic per county, so the workers build their own partitions: nothing large
travels from the client.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

TOWNS, VILLAGES_PER_TOWN = 10, 16
CELL = 0.02  # degrees per village square
AS_OF = dt.date(2026, 6, 30)


COUNTIES_PER_CITY = 8  # a real province's ~100 counties sit in ~14 prefectures (市/州) of 7-17 counties


def county_code(i: int) -> str:
    """The 6-digit code of county number ``i`` (province 62, :data:`COUNTIES_PER_CITY` counties per prefecture)."""
    return f"62{i // COUNTIES_PER_CITY + 1:02d}{i % COUNTIES_PER_CITY + 1:02d}"


def county_index(code: str) -> int:
    """Inverse of :func:`county_code`."""
    return (int(code[2:4]) - 1) * COUNTIES_PER_CITY + int(code[4:6]) - 1


def _origin(i: int) -> tuple[float, float]:
    return 100.0 + (i % 20) * 0.5, 32.0 + (i // 20) * 0.35


def villages(code: str) -> gpd.GeoDataFrame:
    """The county's 160 square villages in 10 townships (16 per row)."""
    x0, y0 = _origin(county_index(code))
    rows = []
    for t in range(TOWNS):
        for v in range(VILLAGES_PER_TOWN):
            rows.append((f"{code}{100 + t:03d}{200 + v:03d}", t, v))
    codes = [r[0] for r in rows]
    boxes = [shapely.box(x0 + v * CELL, y0 + t * CELL, x0 + (v + 1) * CELL, y0 + (t + 1) * CELL) for _, t, v in rows]
    return gpd.GeoDataFrame(
        {
            "village_code": codes,
            "name": [f"村{c[-6:]}" for c in codes],
            "town_code": [c[:9] for c in codes],
            "population": 2000,
            "collective_income": [0.0 if k % 23 == 0 else 50000.0 for k in range(len(codes))],
            "former_poverty_village": [k % 3 == 0 for k in range(len(codes))],
        },
        geometry=boxes,
        crs=4490,
    )


def households(code: str, count: int) -> gpd.GeoDataFrame:
    """``count`` households of the county with random, well-formed attributes."""
    i = county_index(code)
    rng = np.random.default_rng([2026, i])
    x0, y0 = _origin(i)
    n_v = TOWNS * VILLAGES_PER_TOWN
    vidx = np.sort(rng.integers(0, n_v, count))
    t, v = vidx // VILLAGES_PER_TOWN, vidx % VILLAGES_PER_TOWN
    lon = x0 + (v + rng.uniform(0.02, 0.98, count)) * CELL
    lat = y0 + (t + rng.uniform(0.02, 0.98, count)) * CELL
    codes = np.char.add(np.char.add(code, (100 + t).astype(str)), (200 + v).astype(str))
    status = rng.choice(["normal", "lifted", "monitored"], count, p=[0.8, 0.16, 0.04])
    monitored = status == "monitored"
    found = np.datetime64(AS_OF) - rng.integers(20, 700, count).astype("timedelta64[D]")
    identified = found + rng.integers(2, 25, count).astype("timedelta64[D]")
    entered = identified + rng.integers(1, 16, count).astype("timedelta64[D]")
    nat = np.datetime64("NaT")
    frame = pd.DataFrame(
        {
            "household_id": np.char.add(codes, np.char.zfill(np.arange(count).astype(str), 7)),
            "village_code": codes,
            "head_name": None,
            "id_number": None,
            "phone": None,
            "members": rng.integers(1, 7, count),
            "per_capita_income": np.round(rng.lognormal(np.log(11000), 0.6, count), -1),
            "status": status,
            "monitor_type": np.where(monitored, "marginal", None),
            "risk_types": np.where(monitored, "illness", None),
            "risk_eliminated": pd.array(np.where(monitored, rng.random(count) < 0.5, None), dtype="boolean"),
            "education_ok": rng.random(count) > 0.004,
            "medical_insured": rng.random(count) > 0.008,
            "housing_grade": rng.choice(["A", "B", "C", "D"], count, p=[0.4, 0.59, 0.008, 0.002]),
            "water_safe": rng.random(count) > 0.02,
            "helper": None,
            "risk_found_on": np.where(monitored, found, nat).astype("datetime64[ms]"),
            "identified_on": np.where(monitored, identified, nat).astype("datetime64[ms]"),
            "entered_on": np.where(monitored, entered, nat).astype("datetime64[ms]"),
            "lon": lon,
            "lat": lat,
        }
    )
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=4490)


def context(code: str) -> dict[str, pd.DataFrame]:
    """Every layer but households for the county."""
    i = county_index(code)
    rng = np.random.default_rng([7, i])
    x0, y0 = _origin(i)
    vill = villages(code)
    centres = shapely.centroid(vill.geometry.values)  # squares in lon/lat: the plain centroid is the centre
    centres = gpd.GeoSeries(centres, crs=4490)
    width, height = VILLAGES_PER_TOWN * CELL, TOWNS * CELL
    lines = [
        shapely.LineString([(x0, y0 + (t + 0.5) * CELL), (x0 + width, y0 + (t + 0.5) * CELL)]) for t in range(TOWNS)
    ]
    lines += [
        shapely.LineString([(x0 + (v + 0.5) * CELL, y0), (x0 + (v + 0.5) * CELL, y0 + height)])
        for v in range(VILLAGES_PER_TOWN)
    ]
    roads = gpd.GeoDataFrame(
        {
            "road_id": [f"{code}R{k}" for k in range(len(lines))],
            "name": None,
            "road_class": ["county"] * TOWNS + ["village"] * VILLAGES_PER_TOWN,
            "hardened": [True] * TOWNS + list(rng.random(VILLAGES_PER_TOWN) < 0.7),
        },
        geometry=lines,
        crs=4490,
    )
    seats = vill[vill["village_code"].str[-3:] == "200"]
    fac_xy = (
        list(zip(centres.x, centres.y, strict=True))
        + [(p.x + 0.001, p.y) for p in shapely.centroid(seats.geometry.values)] * 2
    )
    kinds = ["clinic"] * len(vill) + ["school"] * len(seats) + ["township_gov"] * len(seats)
    fac_codes = list(vill["village_code"]) + list(seats["village_code"]) * 2
    facilities = gpd.GeoDataFrame(
        {
            "facility_id": [f"{code}F{k}" for k in range(len(kinds))],
            "name": None,
            "kind": kinds,
            "capacity": None,
            "village_code": fac_codes,
        },
        geometry=gpd.points_from_xy(*zip(*fac_xy, strict=True)),
        crs=4490,
    )
    hazards = gpd.GeoDataFrame(
        {"hazard_id": [f"{code}H{k}" for k in range(5)], "kind": "flood", "level": ["high", "medium"] * 2 + ["low"]},
        geometry=[shapely.box(x0 + k * 0.06, y0, x0 + k * 0.06 + 0.01, y0 + height) for k in range(5)],
        crs=4490,
    )
    sampled = pd.Timestamp(AS_OF) - pd.Timedelta(days=10)
    indicators = ["浑浊度", "氟化物", "总大肠菌群", "游离氯", "pH"]
    values = rng.choice(["0.4", "0.8", "1.3"], len(vill) * len(indicators), p=[0.7, 0.25, 0.05])
    water = gpd.GeoDataFrame(
        {
            "sample_id": np.repeat(vill["village_code"].to_numpy(), len(indicators)),
            "site_id": None,
            "site_name": None,
            "site_type": "tap",
            "sampled_on": sampled,
            "indicator": indicators * len(vill),
            "value": values,
            "unit": None,
            "village_code": np.repeat(vill["village_code"].to_numpy(), len(indicators)),
        },
        geometry=np.repeat(np.asarray(centres.values), len(indicators)),
        crs=4490,
    )
    water["site_id"] = water["sample_id"]
    projects = pd.DataFrame(
        {
            "project_id": [f"{c}P" for c in vill["village_code"]],
            "name": None,
            "village_code": vill["village_code"],
            "category": None,
            "budget": 500000.0,
            "disbursed": np.round(rng.uniform(0, 500000, len(vill)), -2),
            "status": "started",
            "as_of": pd.Timestamp(AS_OF),
        }
    )
    teams = pd.DataFrame(
        {
            "team_id": [f"{c}T" for c in seats["village_code"]],
            "village_code": seats["village_code"],
            "unit": None,
            "leader": None,
            "members": 3,
            "checkin_rate": rng.uniform(0.8, 1, len(seats)),
            "days_in_village": rng.integers(80, 130, len(seats)),
            "last_inspected_on": pd.NaT,
            "monthly_score": 90.0,
        }
    )
    inspections = pd.DataFrame(
        {
            "inspection_id": [f"{c}I" for c in seats["village_code"]],
            "date": pd.Timestamp(AS_OF),
            "inspector": None,
            "team_id": list(teams["team_id"]),
            "village_code": seats["village_code"],
            "household_id": None,
            "finding": None,
            "rectified": True,
            "rectified_on": pd.NaT,
        }
    )
    return {
        "villages": vill,
        "roads": roads,
        "facilities": facilities,
        "hazards": hazards,
        "water_tests": water,
        "projects": projects,
        "teams": teams,
        "inspections": inspections,
    }


class HouseholdLoader:
    """Picklable loader: ``count`` households for any county code."""

    def __init__(self, count: int) -> None:
        self.count = count

    def __call__(self, code: str) -> gpd.GeoDataFrame:
        return households(code, self.count)
