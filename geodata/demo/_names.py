"""Fake but well-formed names, resident ID numbers and phone numbers for the demo county.

Place names follow loess-plateau patterns (张家湾, 杏树坪, 红土岘); person names draw
on common north-western surnames, with each village dominated by a few of them. ID
numbers carry a real check character (GB 11643) so that they pass validation.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from geodata.io.idcard import check_chars

SURNAMES = list(
    "王李张刘陈杨赵马牛魏苟汪何董郭高石田孙周吴徐朱胡罗梁宋谢韩唐冯于曹袁邓许傅沈曾彭吕苏蒋蔡贾丁薛叶阎余潘杜戴夏钟任姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
_SURNAME_WEIGHT = np.r_[np.linspace(6, 1.2, 20), np.full(len(SURNAMES) - 20, 0.6)]
GIVEN_MALE = list("建国军平明强伟勇刚文忠海军华林东生福成永贵宝全学志德兴富春荣发祥")
GIVEN_FEMALE = list("秀兰英芳霞梅红玲娟琴丽燕萍桂珍凤花莲彩云翠")
_PLACE_FIRST = list("杏桃柳榆杨槐红黄青白石土高大小新老上下前后东西南北中")
_PLACE_MID = list("树家土沙石泉水窑庙堡")
_LANDFORM = list("湾岔沟坪塬峁梁岘咀台川洼坡岭寨庄河")
_TOWN_FIRST = list("马常华义襄寺陇平榜李什碧鸡第新石黄柳龙安北宁孟")
_TOWN_SECOND = list("营川岗南峰阳罗寨滩山关川店铺源堡坪")
_UNITS = [
    "县财政局", "县教育局", "县农业农村局", "县卫生健康局", "县水务局", "县交通运输局", "县自然资源局",
    "县住房和城乡建设局", "县人力资源和社会保障局", "县民政局", "县委组织部", "县人民医院", "县供电公司",
    "县农商银行", "县市场监督管理局", "县林业和草原局", "县统计局", "县文化旅游局",
]  # fmt: skip
COUNTY_NAME = "塬川示范县"


def surname_pool(rng: np.random.Generator, size: int) -> np.ndarray:
    """``size`` surnames drawn with the skewed frequencies of a north-western county."""
    return rng.choice(SURNAMES, size=size, p=_SURNAME_WEIGHT / _SURNAME_WEIGHT.sum())


def person_names(rng: np.random.Generator, surnames: np.ndarray, male: np.ndarray) -> list[str]:
    """Full names: the given surnames with one or two given-name characters by sex."""
    n = len(surnames)
    first = np.where(male, rng.choice(GIVEN_MALE, n), rng.choice(GIVEN_FEMALE, n))
    second = np.where(male, rng.choice(GIVEN_MALE, n), rng.choice(GIVEN_FEMALE, n))
    two = rng.random(n) < 0.8
    return [s + f + (t if k else "") for s, f, t, k in zip(surnames, first, second, two, strict=True)]


def village_names(rng: np.random.Generator, dominant: list[str]) -> list[str]:
    """One unique name per village; many carry the village's dominant surname (张家湾村)."""
    out: list[str] = []
    seen: set[str] = set()
    for surname in dominant:
        while True:
            if rng.random() < 0.5:
                core = surname + "家" + rng.choice(_LANDFORM)
            else:
                core = rng.choice(_PLACE_FIRST) + rng.choice(_PLACE_MID + _LANDFORM) + rng.choice(_LANDFORM)
            if core not in seen:
                break
        seen.add(core)
        out.append(core + "村")
    return out


def town_names(rng: np.random.Generator, count: int) -> list[str]:
    """Unique two-character township cores (the seat town is 城关)."""
    out, seen = ["城关"], {"城关"}
    while len(out) < count:
        core = rng.choice(_TOWN_FIRST) + rng.choice(_TOWN_SECOND)
        if core not in seen:
            seen.add(core)
            out.append(core)
    return out


def work_units(rng: np.random.Generator, count: int) -> np.ndarray:
    """County departments that send village work teams (派出单位)."""
    return rng.choice(_UNITS, size=count)


def resident_ids(rng: np.random.Generator, region: str, birth: list[dt.date], male: np.ndarray) -> np.ndarray:
    """18-character resident ID numbers with valid check characters, unique within the batch."""
    n = len(birth)
    born = np.array([d.strftime("%Y%m%d") for d in birth])
    seq = rng.integers(0, 500, n) * 2 + np.where(male, 1, 0)  # odd = male
    body = np.char.add(np.char.add(region, born), np.char.zfill(seq.astype(str), 3))
    while True:
        _, first = np.unique(body, return_index=True)
        dup = np.setdiff1d(np.arange(n), first)
        if dup.size == 0:
            break
        seq[dup] = (seq[dup] + 2 * rng.integers(1, 400, dup.size)) % 1000
        body[dup] = np.char.add(np.char.add(region, born[dup]), np.char.zfill(seq[dup].astype(str), 3))
    return np.char.add(body, check_chars(body)) if n else body


def birth_dates(rng: np.random.Generator, as_of: dt.date, ages: np.ndarray) -> list[dt.date]:
    """Birth dates for people of the given ages on ``as_of``."""
    days = (np.asarray(ages) * 365.25 + rng.integers(0, 365, len(ages))).astype(int)
    return [as_of - dt.timedelta(days=int(d)) for d in days]


def phones(rng: np.random.Generator, count: int, missing: float) -> list[str | None]:
    """Mainland mobile numbers (1[3-9]x xxxx xxxx); a share left blank."""
    prefix = rng.choice(["133", "135", "138", "139", "151", "153", "158", "177", "180", "189", "199"], count)
    body = rng.integers(0, 10**8, count)
    blank = rng.random(count) < missing
    return [None if b else f"{p}{n:08d}" for p, n, b in zip(prefix, body, blank, strict=True)]
