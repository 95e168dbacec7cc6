"""Header matching: aliases, units in brackets, full-width text, 10-byte shapefile names."""

from geodata.io.columns import match_columns
from geodata.schemas import HOUSEHOLDS, VILLAGES, normalise_header


def test_normalise_header_drops_units_spaces_and_width() -> None:
    assert normalise_header(" 人均纯收入（元/年） ") == "人均纯收入"
    assert normalise_header("户主 姓名") == "户主姓名"
    assert normalise_header("ＬＯＮ") == "lon"


def test_chinese_aliases_map_to_canonical_columns() -> None:
    m = match_columns(["序号", "户编号", "村代码", "户主姓名", "家庭人口数", "户类型", "经度", "纬度"], HOUSEHOLDS)
    assert m.found["household_id"] == "户编号"
    assert m.found["members"] == "家庭人口数"
    assert m.found["lon"] == "经度"
    assert m.unknown == ["序号"]
    assert m.missing(HOUSEHOLDS) == []


def test_shapefile_truncated_names_match_in_gbk_and_utf8() -> None:
    gbk_cut = "村集体经济收入".encode("gbk")[:10].decode("gbk", errors="ignore")
    utf8_cut = "村集体经济收入".encode()[:10].decode("utf-8", errors="ignore")
    assert gbk_cut == "村集体经济"
    for header in (gbk_cut, utf8_cut):
        assert match_columns([header], VILLAGES).found == {"collective_income": header}


def test_first_match_wins_and_duplicates_are_listed() -> None:
    m = match_columns(["村代码", "行政区划代码", "村名称"], VILLAGES)
    assert m.found["village_code"] == "村代码"
    assert m.duplicates == {"village_code": ["行政区划代码"]}


def test_overrides_correct_or_drop_a_header() -> None:
    m = match_columns(["编码", "村名称", "人口"], VILLAGES, overrides={"编码": "village_code", "人口": ""})
    assert m.found == {"village_code": "编码", "name": "村名称"}
    assert m.unknown == []
