"""The province's monthly bulletin (月通报) and a scoped part's: its cities ranked, or a city's or county's alone.

The store is the 3-county demo city with its third county moved into a second city (6298,
county 629801), so it spans two cities of one province (62). Every number is a cell of
the month-end province, city and county tables (`battlemap indicators --level
province|city`); a part's bulletin (`--scope`) names nothing outside the part; a store
spanning several provinces is refused with what to give instead.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path

import docx
import numpy as np
import pandas as pd
import pypdf
import pytest

from analytics.bulletin import APPENDIX, bulletin
from analytics.levels import within
from battlemap_cli.documents import CountyMaps, bulletin_part, county_maps
from battlemap_cli.month_tables import month_tables
from geodata._errors import InputError
from geodata.demo.city import COUNTY_NAMES
from geodata.io.idcard import check_chars
from geodata.store import GeoPackageStore
from geodata.store.base import IMPORT_LOG
from layers.bulletin_text import cell
from tests.conftest import CITY_HOUSEHOLDS, copied
from tests.importing import run
from tests.test_documents import assert_fonts_embedded, docx_text, number, pdf_text, personal_values

MONTH, OCTOBER = "2026-10", dt.date(2026, 10, 31)
HOUSEHOLDS = CITY_HOUSEHOLDS  # per county: each still has C/D cases, findings and tasks
MOVED, MOVED_TO = "629903", "629801"  # the demo city's third county, recoded into a second city
SECOND_CITY, SECOND_CITY_NAME = "6298", "塬北示范市"
CITY_NAME, PROVINCE_NAME = "塬州示范市", "甘肃省"
MOVED_NAME = COUNTY_NAMES[2]


def _moved(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every code and id of county ``MOVED`` starting with ``MOVED_TO`` (resident IDs re-checked)."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if not pd.api.types.is_object_dtype(values) or column == "geometry":
            continue
        starts = values.astype("string").str.startswith(MOVED).fillna(False).to_numpy()
        if not starts.any():
            continue
        moved = values[starts].astype(str).str.slice_replace(0, len(MOVED), MOVED_TO)
        if column == "id_number":
            body = np.array([v[:17] for v in moved], dtype="U17")
            moved = pd.Series(np.char.add(body, check_chars(body)), index=moved.index)
        out.loc[starts, column] = moved
    return out


@pytest.fixture(scope="module")
def province_path(demo_city: Callable[[int], Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two demo cities of one province, built as of 2026-11-01, with snapshots of 2026-09 and 2026-10."""
    store = copied(demo_city(HOUSEHOLDS), tmp_path_factory.mktemp("province"))
    with store.transaction() as tx:
        for name in (n for n in store.layers() if n != IMPORT_LOG):
            frame = _moved(store.read(name))
            if name == "regions":  # the second city, outlined by its one county
                county = frame[frame["code"] == MOVED_TO]
                frame = pd.concat([frame, county.assign(code=SECOND_CITY, name=SECOND_CITY_NAME, level="city")])
            tx.write(name, frame.reset_index(drop=True))
        tx.log(action="test", layer="*", rows=0, source=f"county {MOVED} moved to {MOVED_TO}")
    assert run(store.target, "build", "--as-of", "2026-11-01") == 0
    assert run(store.target, "history", "--from", "2026-09", "--to", "2026-10") == 0
    return store.path


@pytest.fixture(scope="module")
def tables(province_path: Path) -> dict[str, pd.DataFrame]:
    return month_tables(GeoPackageStore(province_path), OCTOBER)


@pytest.fixture(scope="module")
def documents(province_path: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The province's bulletin (Word, PDF), and the Word bulletins of the city 6299 and the county 629902."""
    folder = tmp_path_factory.mktemp("province-bulletin")
    made = {
        "province.docx": (),
        "province.pdf": (),
        "city.docx": ("--scope", "6299"),
        "county.docx": ("--scope", "629902"),
    }
    for name, scope in made.items():
        path = folder / name
        assert run(province_path, "bulletin", "--month", MONTH, *scope, "--out", str(path)) == 0
    return {name: folder / name for name in made}


def _rows(path: Path, table: int) -> dict[str, list[str]]:
    """Name → cells of the rows of a Word table (0: the ranking, -1: the appendix)."""
    rows = docx.Document(str(path)).tables[table].rows
    return {r.cells[0 if table else 1].text: [c.text for c in r.cells] for r in rows[1:]}


def test_the_store_spans_two_cities_of_one_province(
    tables: dict[str, pd.DataFrame], province_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert list(tables["province"].index) == ["62"]
    assert list(tables["city"].index) == [SECOND_CITY, "6299"]
    assert list(tables["county"].index) == ["629801", "629901", "629902"]
    capsys.readouterr()
    assert run(province_path, "indicators", "--level", "province", "--as-of", "2026-10-31", "--format", "json") == 0
    printed = pd.read_json(io.StringIO(capsys.readouterr().out)).iloc[0]
    assert printed["households"] == tables["province"].iloc[0]["households"] == 3 * HOUSEHOLDS


def test_province_bulletin_ranks_and_tables_its_cities(
    documents: dict[str, Path], tables: dict[str, pd.DataFrame]
) -> None:
    city = tables["city"]
    codes = {SECOND_CITY_NAME: SECOND_CITY, CITY_NAME: "6299"}
    ranking = docx.Document(str(documents["province.docx"])).tables[0]
    assert [c.text for c in ranking.rows[0].cells][:3] == ["排名", "市州", "综合风险指数"]
    ranked = _rows(documents["province.docx"], 0)
    assert set(ranked) == set(codes)
    for name, cells in ranked.items():
        assert cells[2] == cell("risk_index", city.loc[codes[name], "risk_index"])
        assert int(cells[0]) == int(city["risk_index"].rank(method="min")[codes[name]])
    appendix = _rows(documents["province.docx"], -1)
    assert set(appendix) == set(codes)
    for name, cells in appendix.items():
        for column, text in zip(APPENDIX, cells[1:], strict=True):
            assert text == cell(column, city.loc[codes[name], column]), (name, column)


def test_province_summary_is_the_province_row(documents: dict[str, Path], tables: dict[str, pd.DataFrame]) -> None:
    province = tables["province"].iloc[0]
    text = docx_text(documents["province.docx"])
    assert f"{PROVINCE_NAME}乡村振兴工作月通报" in text
    assert "二、市州综合排名（红黑榜）" in text and "附件：各市州主要指标" in text and "省督查组" in text
    households = cell("households", province["households"])
    assert f"{PROVINCE_NAME}共有农户{households}户" in text
    assert number(households) == tables["city"]["households"].sum()
    open_now = cell("monitored_open_households", province["monitored_open_households"])
    assert f"风险未消除{open_now}户" in text
    assert cell("risk_index", province["risk_index"]) in text
    pdf = pdf_text(documents["province.pdf"])
    assert SECOND_CITY_NAME in pdf and CITY_NAME in pdf and households in pdf
    for value in tables["city"]["risk_index"]:
        assert cell("risk_index", value) in pdf
    assert_fonts_embedded(pypdf.PdfReader(documents["province.pdf"]))


def test_a_city_scope_gets_its_city_alone(documents: dict[str, Path], tables: dict[str, pd.DataFrame]) -> None:
    text = docx_text(documents["city.docx"])
    city = tables["city"].loc["6299"]
    assert f"{CITY_NAME}乡村振兴工作月通报" in text
    assert f"{CITY_NAME}共有农户{cell('households', city['households'])}户" in text
    ranked = _rows(documents["city.docx"], 0)
    assert set(ranked) == set(COUNTY_NAMES[:2])
    counties = tables["county"]
    for name, code in zip(COUNTY_NAMES[:2], ("629901", "629902"), strict=True):
        assert ranked[name][2] == cell("risk_index", counties.loc[code, "risk_index"])
        assert int(ranked[name][0]) == int(counties.loc[["629901", "629902"], "risk_index"].rank(method="min")[code])
    assert MOVED_NAME not in text and SECOND_CITY_NAME not in text and PROVINCE_NAME not in text


def test_a_county_scope_gets_its_county_alone(
    documents: dict[str, Path], tables: dict[str, pd.DataFrame], province_path: Path
) -> None:
    text = docx_text(documents["county.docx"])
    county = tables["county"].loc["629902"]
    name = COUNTY_NAMES[1]
    assert f"{name}乡村振兴工作月通报" in text
    assert f"{name}共有农户{cell('households', county['households'])}户" in text
    assert "二、乡镇综合排名（红黑榜）" in text
    towns = tables["town"][tables["town"].index.str.startswith("629902")]
    appendix = _rows(documents["county.docx"], -1)
    assert len(appendix) == len(towns) > 1
    names = GeoPackageStore(province_path).read("towns").set_index("town_code")["name"]
    for code, row in towns.iterrows():
        assert appendix[names[code]][1:] == [cell(c, row[c]) for c in APPENDIX]
    for other in (COUNTY_NAMES[0], MOVED_NAME, CITY_NAME, SECOND_CITY_NAME):
        assert other not in text, other
    outside = set(names[~names.index.str.startswith("629902")]) - set(names[names.index.str.startswith("629902")])
    assert not [n for n in outside if n in text]


def test_no_personal_data_in_the_province_bulletin(documents: dict[str, Path], province_path: Path) -> None:
    secrets = personal_values(GeoPackageStore(province_path))
    assert secrets
    for text in (docx_text(documents["province.docx"]), pdf_text(documents["province.pdf"])):
        assert not sorted(s for s in secrets if s in text)[:5]


@pytest.mark.parametrize(
    ("scope", "message"),
    [("62990", "5 characters"), ("6297", "holds no village"), ("629902100001", "township at the narrowest")],
)
def test_a_bad_scope_is_refused_and_nothing_written(
    province_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], scope: str, message: str
) -> None:
    out = tmp_path / "bulletin.docx"
    assert run(province_path, "bulletin", "--month", MONTH, "--scope", scope, "--out", str(out)) == 2
    assert message in capsys.readouterr().err
    assert not out.exists() and not list(tmp_path.iterdir())


def test_a_township_outside_the_scope_is_refused(
    province_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bulletin.docx"
    args = ("bulletin", "--month", MONTH, "--scope", "629902", "--town", "629901100", "--out", str(out))
    assert run(province_path, *args) == 2
    assert "outside the scope 629902" in capsys.readouterr().err and not out.exists()


def test_several_provinces_are_refused_with_what_to_give(tables: dict[str, pd.DataFrame]) -> None:
    two = {level: table.copy() for level, table in tables.items()}
    two["province"] = pd.concat([two["province"], two["province"].rename(index={"62": "63"})])
    with pytest.raises(InputError, match=r"spans 2 provinces \(62, 63\): give --scope"):
        bulletin(two, two, as_of=OCTOBER, before_as_of=OCTOBER, findings=None, town_names=pd.Series(dtype=str))


def test_a_township_scope_is_that_township_within_its_county(province_path: Path) -> None:
    county = county_maps(GeoPackageStore(province_path))
    assert bulletin_part(county, "629902100", None) == ("629902", "629902100")
    assert bulletin_part(county, "62", None) == (None, None)  # the store's own province: the whole store
    assert bulletin_part(county, "6299", "629901100") == ("6299", "629901100")
    with pytest.raises(InputError, match="outside the scope 629902100"):
        bulletin_part(county, "629902100", "629902101")


def test_a_townships_bulletin_ranks_it_among_its_countys_townships(tables: dict[str, pd.DataFrame]) -> None:
    part = within(tables, "629902")
    assert set(part) == {"county", "town", "village"} and list(part["county"].index) == ["629902"]
    town = str(part["town"].index[0])
    made = bulletin(
        part, part, as_of=OCTOBER, before_as_of=OCTOBER, findings=None, town_names=pd.Series(dtype=str), town=town
    )
    assert made.part == "town" and list(made.appendix["town_code"]) == [town]
    assert set(made.ranking["town_code"]) == set(part["town"].index)


def test_a_store_of_several_provinces_needs_a_scope_or_a_township() -> None:
    villages = pd.DataFrame({"village_code": ["629901100001", "639901100001"]})
    county = CountyMaps(villages=villages, towns=villages, name="", sources=())  # bulletin_part reads the codes only
    with pytest.raises(InputError, match=r"spans 2 provinces \(62, 63\): give --scope"):
        bulletin_part(county, None, None)
    assert bulletin_part(county, "63", None) == ("63", None)
    assert bulletin_part(county, None, "629901100") == ("62", "629901100")
