"""An inspection plan as KML and KMZ, for 奥维互动地图 (Ovi map) and Google Earth.

One folder per day: a Placemark (Point) per stop, numbered in visiting order with its
arrival and departure, then the day's path along the roads as a LineString. The start
and each night's township seat are Placemarks too. Text goes through ElementTree, which
escapes it. Coordinates are CGCS2000 lon/lat, which both apps take as WGS84 (under a
metre apart); KMZ is the same document zipped as ``doc.kml``.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from typing import Any

from layers.i18n import t
from layers.route_export import DAY_COLOURS, start_name

KML_NS = "http://www.opengis.net/kml/2.2"


def plan_kml(plan: dict[str, Any], lang: str = "zh") -> str:
    """The plan as a KML 2.2 document (UTF-8 text)."""
    ET.register_namespace("", KML_NS)
    kml = ET.Element(f"{{{KML_NS}}}kml")
    doc = _sub(kml, "Document")
    _sub(doc, "name", f"{t('route_title', lang)} {plan['date']}")
    for day, colour in enumerate(DAY_COLOURS, start=1):
        style = _sub(doc, "Style", id=f"day{day}")
        line = _sub(style, "LineStyle")
        _sub(line, "color", _kml_colour(colour))
        _sub(line, "width", "4")
    start = plan["start"]
    _point(doc, f"0 {start_name(plan, lang)}", t("start_point", lang), start["lon"], start["lat"])
    for summary, path in zip(plan["day_summary"], plan["paths"], strict=True):
        n = summary["day"]
        folder = _sub(doc, "Folder")
        _sub(folder, "name", f"{t('day_n', lang, n=n)} {summary['date']}")
        for stop in (s for s in plan["stops"] if s["day"] == n):
            text = f"{t('day_n', lang, n=n)} {stop['arrive'][-5:]}–{stop['depart'][-5:]} {stop['village_code']}"
            _point(folder, f"{stop['number']} {stop['village']}", text, stop["lon"], stop["lat"])
        end = summary.get("end_place")
        if plan.get("overnight") and end and n < len(plan["day_summary"]):
            _point(folder, end["name"] or t("overnight_at", lang), t("overnight_at", lang), end["lon"], end["lat"])
        if len(path) > 1:
            mark = _sub(folder, "Placemark")
            _sub(mark, "name", f"{t('day_n', lang, n=n)} {summary['distance_km']} km")
            _sub(mark, "styleUrl", f"#day{(n - 1) % len(DAY_COLOURS) + 1}")
            line = _sub(mark, "LineString")
            _sub(line, "tessellate", "1")
            _sub(line, "coordinates", " ".join(f"{lon},{lat}" for lon, lat in path))
    ET.indent(kml)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(kml, encoding="unicode") + "\n"


def plan_kmz(plan: dict[str, Any], lang: str = "zh") -> bytes:
    """The plan as KMZ: a zip holding ``doc.kml``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("doc.kml", plan_kml(plan, lang).encode("utf-8"))
    return buffer.getvalue()


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{KML_NS}}}{tag}", attrib)
    if text is not None:
        element.text = str(text)
    return element


def _point(parent: ET.Element, name: str, description: str, lon: float, lat: float) -> None:
    mark = _sub(parent, "Placemark")
    _sub(mark, "name", name)
    _sub(mark, "description", description)
    point = _sub(mark, "Point")
    _sub(point, "coordinates", f"{lon},{lat}")


def _kml_colour(hex_rgb: str) -> str:
    """'#RRGGBB' as KML's aabbggrr."""
    r, g, b = hex_rgb[1:3], hex_rgb[3:5], hex_rgb[5:7]
    return f"ff{b}{g}{r}".lower()
