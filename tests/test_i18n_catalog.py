"""The message catalogs (layers/locale/*.toml): complete in both languages, no policy number typed in.

A policy number in a label is a ``{section.setting}`` placeholder that :func:`layers.i18n.t`
fills from the settings, so changing the setting changes the label; the map's fixed class
breaks are settings too.
"""

from __future__ import annotations

import dataclasses
import re
import string
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pandas as pd
import pytest

from analytics.measures import MEASURES, RATIO_BY_NAME, RATIOS
from geodata.settings import (
    MapSettings,
    PovertySettings,
    RiskSettings,
    Settings,
    TeamSettings,
    TimelinessSettings,
    load_settings,
)
from layers import i18n
from layers.catalog import BY_KEY, CATALOG
from layers.classify import classify
from layers.i18n import LANGS, catalog, fill, t, template

ROOT = Path(__file__).resolve().parents[1]
GROUPS = {
    "text": i18n.TEXT,
    "problem_kinds": i18n.PROBLEM_KINDS,
    "problem_fixes": i18n.PROBLEM_FIXES,
    "quality_kinds": i18n.QUALITY_KINDS,
    "layer_names": i18n.LAYER_NAMES,
    "site_criteria": i18n.SITE_CRITERIA,
    "facility_kinds": i18n.FACILITY_KINDS,
    "road_classes": i18n.ROAD_CLASSES,
    "hazard_kinds": i18n.HAZARD_KINDS,
    "risk_types": i18n.RISK_TYPES,
}
# A number next to a unit of time, share, money, distance or count: a policy number when typed in.
QUANTITY = re.compile(
    r"\d+(?:\.\d+)?\s*(?:天|日|周|个?月|年|%|％|个百分点|元|万元|公里|米|公顷|小时|分钟|户|人|次|个|"
    r"days?\b|weeks?\b|months?\b|years?\b|percent\b|pts?\b|points\b|yuan\b|km\b|m\b|ha\b|h\b|min\b|"
    r"households?\b|persons?\b|times\b)"
)
# Any number standing alone (not part of a name such as CGCS2000, GCJ-02, EPSG:4490, UTF-8).
NUMBER = re.compile(r"(?<![A-Za-z0-9.:/_-])\d+(?:[.,]\d+)*(?![A-Za-z0-9_-])")
# Numbers that are facts of a format or a fixed scale, not policy: each with why it may be typed in.
NOT_POLICY = {
    ("text", "ahp_help"): {"1", "3", "5", "7", "9"},  # Saaty's 1–9 scale, the meaning of the dropdown's values
    ("problem_fixes", "extra_cells"): {"12,345"},  # an example of a number written with a comma
    ("problem_fixes", "code_mismatch"): {"9"},  # a township code has 9 digits (GB/T 2260 + 3)
    ("problem_fixes", "id_checksum"): {"18"},  # an ID number's 18th digit is its check digit (GB 11643)
    ("problem_fixes", "id_as_number"): {"15"},  # a spreadsheet number keeps 15 significant digits
    ("problem_fixes", "unknown_village"): {"12"},  # a village code has 12 digits
    ("problem_fixes", "crs_missing"): {"3"},  # a 3-degree Gauss-Krüger zone
    ("quality_kinds", "water_unknown_indicator"): {"5749"},  # the standard's number, GB 5749
    ("text", "sensitivity_draws"): {"0"},  # typing 0 turns the robustness run off
}


def fields(text: str) -> set[str]:
    """The placeholder names of a format string."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def literal(text: str) -> str:
    """A format string without its placeholders (the text typed in)."""
    return "".join(part for part, _, _, _ in string.Formatter().parse(text))


def messages() -> list[tuple[str, str, str, str]]:
    """(language, group, key, message) for every message of every catalog."""
    return [(lang, g, k, v) for lang in LANGS for g, table in catalog(lang).items() for k, v in table.items()]


def test_both_catalogs_hold_the_same_tables_and_keys_in_the_same_order() -> None:
    zh, en = catalog("zh"), catalog("en")
    assert list(zh) == list(en) == list(GROUPS)
    for group, pairs in GROUPS.items():
        assert list(zh[group]) == list(en[group]) == list(pairs), group
        assert pairs == {k: (zh[group][k], en[group][k]) for k in zh[group]}, group
    assert len(zh["text"]) > 300 and "sla_identify" in zh["text"]


def test_no_message_is_empty() -> None:
    empty = [
        (lang, group, key) for lang, group, key, text in messages() if not (isinstance(text, str) and text.strip())
    ]
    assert not empty, empty


def test_zh_and_en_have_the_same_placeholders() -> None:
    zh, en = catalog("zh"), catalog("en")
    for group, table in zh.items():
        for key, text in table.items():
            assert fields(text) == fields(en[group][key]), (group, key, text, en[group][key])


def test_every_settings_placeholder_names_a_setting() -> None:
    settings = Settings()
    named = [
        (key, name) for _, _, key, text in messages() for name in fields(text) if name.split(".")[0] in i18n.SECTIONS
    ]
    assert {("sla_identify", "timeliness.identify_days"), ("sla_entry", "timeliness.entry_days")} <= set(named)
    for key, name in named:
        section, _, setting = name.partition(".")
        assert setting and hasattr(getattr(settings, section), setting), (key, name)


def test_no_quantity_is_typed_into_a_message() -> None:
    """Days, shares, yuan, distances and counts in a message are placeholders, never literal numbers."""
    labels = [(m.name, text) for m in [*MEASURES, *RATIOS] for text in (m.zh, m.en)]
    typed = [(lang, key, text) for lang, _, key, text in messages() if QUANTITY.search(literal(text))]
    typed += [("measure", name, text) for name, text in labels if QUANTITY.search(literal(text))]
    assert not typed, typed


def test_a_number_in_a_message_is_a_format_fact_not_a_policy_number() -> None:
    """Every literal number is listed with its reason; none is a setting's value typed in."""
    found = {
        (group, key): set(NUMBER.findall(literal(text)))
        for _, group, key, text in messages()
        if NUMBER.search(literal(text))
    }
    unexplained = {where: numbers - NOT_POLICY.get(where, set()) for where, numbers in found.items()}
    assert not {where: n for where, n in unexplained.items() if n}, unexplained
    assert set(found) == set(NOT_POLICY)  # the list has no stale entry


def test_the_timeliness_limits_are_placeholders_filled_from_the_settings() -> None:
    for key, name in (("sla_identify", "identify_days"), ("sla_entry", "entry_days")):
        for lang in LANGS:
            assert f"{{timeliness.{name}}}" in template(key, lang)
    assert t("sla_identify", "zh") == "识别时效（≤15天）" and t("sla_identify", "en") == "Identified within 15 days"
    assert t("sla_entry", "zh") == "录入时效（≤10天）" and t("sla_entry", "en") == "Entered within 10 days"
    changed = Settings().replace(timeliness=TimelinessSettings(identify_days=20, entry_days=7))
    assert t("sla_identify", "zh", settings=changed) == "识别时效（≤20天）"
    assert t("sla_entry", "en", settings=changed) == "Entered within 7 days"


def test_a_changed_settings_file_changes_the_labels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "battlemap.toml"
    path.write_text("[timeliness]\nidentify_days = 30\n\n[quality]\nstale_days = 45\n\n[sites]\nahp_cr_limit = 0.2\n")
    monkeypatch.setenv("BATTLEMAP_SETTINGS", str(path))
    assert t("sla_identify", "zh") == "识别时效（≤30天）"
    assert t("sla_entry", "zh") == "录入时效（≤10天）"
    assert t("quality_note", "en", month="2026-06").startswith("Stale: villages with no household record added or")
    assert "in 45 days" in t("quality_note", "en", month="2026-06")
    assert t("cr_ok", "zh") == "CR ≤ 0.2：一致性可接受，已采用。"
    from callbacks.map_page import _label  # the KPI table's measure labels (imports Dash)

    assert _label("sla_identify_ok_share", "en") == "identified ≤ 30 days"
    assert _label("sla_entry_ok_share", "en") == "entered ≤ 10 days"
    assert _label("sla_identify_ok_share", "zh") == RATIO_BY_NAME["sla_identify_ok_share"].zh


def test_t_fills_values_and_keeps_templates_for_the_browser() -> None:
    assert t("day_n", "zh", n=2) == "第2天" and t("day_n", "en", n=2) == "Day 2"
    assert t("movers_summary", "en", n=3, v=1, a=0.5) == "3 households from 1 villages; 0.5 ha needed"
    assert t("legend", "en") == "Legend" and t("legend") == "图例"
    assert t("no_such_key", "en") == "no_such_key"  # shows itself
    assert template("upload_over_limit", "en").count("{") == 3  # {name} {mb} {max}, filled by upload_limit.js
    assert fill("{n} · {timeliness.entry_days}", n=1) == "1 · 10"
    assert fill("{ids}", ids="{not a field}") == "{not a field}"  # a value is not read as a template
    with pytest.raises(KeyError):
        t("day_n", "zh")


def test_literal_keys_in_code_exist() -> None:
    used = re.compile(r"""(?<![\w.])(?:t|template)\(\s*["']([a-z0-9_]+)["']""")
    files = [*(ROOT / "layers").rglob("*.py"), *(ROOT / "callbacks").rglob("*.py"), ROOT / "app.py"]
    files += list((ROOT / "battlemap_cli").rglob("*.py"))
    keys = {k for f in files for k in used.findall(f.read_text("utf-8"))}
    assert len(keys) > 150
    assert keys <= set(i18n.TEXT), keys - set(i18n.TEXT)


def test_the_catalogs_are_package_data() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]["package-data"]
    files = sorted((ROOT / "layers" / "locale").glob("*.toml"))
    assert [f.stem for f in files] == sorted(LANGS)
    for f in files:
        relative = f.relative_to(ROOT).as_posix()
        assert any(
            fnmatch(relative, f"{package.replace('.', '/')}/{pattern}")
            for package, patterns in config.items()
            for pattern in patterns
        ), relative


def test_the_map_breaks_are_settings() -> None:
    s = Settings()
    assert BY_KEY["risk_index"].breaks(s) == [20.0, 40.0, 60.0, 80.0]
    assert BY_KEY["poverty_incidence"].breaks(s) == [0.01, 0.03, 0.10, 0.30]
    assert BY_KEY["team_checkin_rate"].breaks(s) == [0.85, 0.90, 0.95, 0.98]
    assert BY_KEY["spend_gap"].breaks(s) == [0.0, 0.05, 0.10, 0.20]
    assert {m.key for m in CATALOG if m.breaks(s)} == {m.key for m in CATALOG if m.scheme == "fixed"}
    documented = {f.name: f.metadata["doc"] for f in dataclasses.fields(MapSettings)}
    assert all(documented[f"breaks_{m.key}"] for m in CATALOG if m.scheme == "fixed")


def test_the_map_breaks_follow_changed_settings(tmp_path: Path) -> None:
    changed = Settings().replace(
        map=MapSettings(breaks_risk_index=(10.0, 30.0, 90.0), breaks_spend_gap=(0.0, 0.15)),
        risk=RiskSettings(red_threshold=70.0),
        poverty=PovertySettings(poor_village_incidence=0.2),
        teams=TeamSettings(checkin_target=0.9),
    )
    assert BY_KEY["risk_index"].breaks(changed) == [10.0, 30.0, 70.0, 90.0]
    assert BY_KEY["spend_gap"].breaks(changed) == [0.0, 0.15]
    assert BY_KEY["poverty_incidence"].breaks(changed) == [0.01, 0.03, 0.10, 0.20]  # the 一高 line moved
    assert BY_KEY["team_checkin_rate"].breaks(changed) == [0.85, 0.90, 0.95]  # the target is one of the breaks
    values = pd.Series([5.0, 25.0, 65.0, 75.0, 95.0])
    classes = classify(values, BY_KEY["risk_index"], changed, "zh")
    assert classes.index.tolist() == [0, 1, 2, 3, 4]
    assert classes.labels[:3] == ["≤ 10", "10 – 30", "30 – 70"]

    path = tmp_path / "battlemap.toml"
    path.write_text("[map]\nbreaks_team_checkin_rate = [0.5, 0.8]\n")
    assert BY_KEY["team_checkin_rate"].breaks(load_settings(path)) == [0.5, 0.8, 0.98]
