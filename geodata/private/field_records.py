"""What an inspector records on the phone at each stop of a plan, received from the field pack's queue.

The field pack (:mod:`layers.field_pack`) queues every record on the phone and sends each
one when there is a network (:mod:`callbacks.field_sync`). A record carries a UUID made on
the phone; the private ``field_records`` and ``field_photos`` tables are keyed by it, so a
retry (the answer was lost, the phone sent twice) stores nothing new and answers what the
first one stored. Kinds:

- ``arrival`` (到达): the phone's time and position; its distance from the stop's village
  outline is kept, and beyond ``[field_pack] arrival_tolerance_m`` (or with no position)
  the arrival is flagged, never refused;
- ``households`` (走访农户): the households of the stop visited (their ids, from the pack);
- ``finding`` (发现问题): a category of ``[findings] categories`` and text; it becomes a row of
  the ``inspections`` layer through :func:`geodata.private.findings.add_finding`, so it gets
  its township, deadline and ``open`` status and enters the rectification flow. The store
  and the private file are two databases: the row carries the record's UUID
  (``record_uuid``), so a server that stopped after writing it and before remembering the
  UUID finds that row on the retry instead of adding a second one;
- ``photo``: a JPEG or PNG of a finding already received, kept in the private photo folder
  (:mod:`geodata.private.photos`), with the time and position it was taken. Its file name
  is made of the finding and the photo's hash, so a retry after a crash writes the same
  file again, and its one row is the only record of it.

Every record is checked in full before anything is written (:func:`check_record`): an
unknown stop, category or household, a bad time, a photo that is not an image or is too
large are refused with :class:`FieldRefused` and nothing is stored.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
import json
import math
import sqlite3
import threading
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

try:
    from PIL import Image, UnidentifiedImageError
except ImportError:  # pragma: no cover - Pillow comes with the data stack; without it the structure is checked
    Image = None

from geodata._errors import InputError
from geodata.finding_steps import category_label
from geodata.io.crs import county_epsg
from geodata.private.db import PrivateDB, audit_row, now_text
from geodata.private.findings import add_finding
from geodata.private.photos import photo_dir, photo_name, photo_suffix, save_photo
from geodata.settings import get_settings
from geodata.store import Store
from geodata.text_limits import check_length

KINDS = ("arrival", "households", "finding", "photo")
UUID = "0123456789abcdef-"
WRITING = threading.Lock()  # one record at a time in this process: check, write, remember its UUID


class FieldRefused(InputError):
    """A record the server will not store; ``key`` names its bilingual message (``field_refused_<key>``)."""

    def __init__(self, key: str, detail: str, status: int = 400) -> None:
        super().__init__(detail)
        self.key = key
        self.status = status


@dataclass(frozen=True)
class Record:
    """One checked record, ready to store."""

    uuid: str
    kind: str
    stop: dict[str, Any]
    at: dt.datetime
    position: tuple[float, float, float | None] | None  # lon, lat, accuracy (m)
    fields: dict[str, Any]


def check_record(plan: dict[str, Any], item: object) -> Record:
    """The record ``item`` (decoded JSON) checked against ``plan``; :class:`FieldRefused` for anything wrong."""
    if not isinstance(item, dict):
        raise FieldRefused("malformed", "a record must be a JSON object")
    uuid = str(item.get("uuid") or "").lower()
    if len(uuid) != 36 or set(uuid) - set(UUID):
        raise FieldRefused("malformed", f"uuid {item.get('uuid')!r} is not a UUID made by the phone")
    kind = item.get("kind")
    if kind not in KINDS:
        raise FieldRefused("malformed", f"kind {kind!r} is not one of {', '.join(KINDS)}")
    stop = _stop(plan, item.get("stop"))
    at = _time(item.get("at"))
    position = _position(item)
    fields: dict[str, Any] = {}
    if kind == "households":
        fields["households"] = _households(stop, item.get("households"))
    elif kind == "finding":
        fields.update(_finding(stop, item))
    elif kind == "photo":
        fields.update(_photo(item))
    return Record(uuid, str(kind), stop, at, position, fields)


def _stop(plan: dict[str, Any], number: object) -> dict[str, Any]:
    """The plan's stop numbered ``number``."""
    for stop in plan["stops"]:
        if isinstance(number, int) and not isinstance(number, bool) and int(stop["number"]) == number:
            return stop
    raise FieldRefused("stop", f"stop {number!r} is not in plan {plan['plan_id']} (stops 1–{len(plan['stops'])})")


def _time(value: object) -> dt.datetime:
    """The phone's time of a record (ISO 8601 with its offset)."""
    try:
        at = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise FieldRefused("malformed", f"time {value!r} is not an ISO 8601 time") from None
    if at.tzinfo is None:
        raise FieldRefused("malformed", f"time {value!r} has no UTC offset")
    return at


def _position(item: dict[str, Any]) -> tuple[float, float, float | None] | None:
    """The phone's lon, lat and accuracy, or None when the phone had no position."""
    lon, lat, accuracy = item.get("lon"), item.get("lat"), item.get("accuracy")
    if lon is None and lat is None:
        return None
    try:
        lon, lat = float(lon), float(lat)  # type: ignore[arg-type]
        accuracy = None if accuracy is None else float(accuracy)
    except (TypeError, ValueError):
        raise FieldRefused("malformed", f"position {lon!r}, {lat!r} is not a pair of numbers") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90) or (accuracy is not None and not math.isfinite(accuracy)):
        raise FieldRefused("malformed", f"position {lon}, {lat} is not a longitude and latitude")
    return lon, lat, accuracy


def _households(stop: dict[str, Any], value: object) -> list[str]:
    """Household ids, each one of the stop's households in the pack."""
    ids = [str(v) for v in value] if isinstance(value, list) else None
    known = {str(h["household_id"]) for h in stop["households"]}
    if ids is None or not set(ids) <= known:
        wrong = sorted(set(ids or []) - known) or value
        msg = f"households {wrong!r} are not among stop {stop['number']}'s households ({', '.join(sorted(known))})"
        raise FieldRefused("household", msg)
    return sorted(set(ids))


def _finding(stop: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """A finding's category (its Chinese label), text and optional household."""
    text = str(item.get("text") or "").strip()
    if not text:
        raise FieldRefused("text", "a finding needs its text (发现问题)")
    try:
        check_length(text, what="finding", setting="finding_chars")
        category = category_label(str(item.get("category") or ""), get_settings().findings)
    except InputError as exc:
        raise FieldRefused("category" if "category" in str(exc) else "text", str(exc)) from None
    if category is None:
        raise FieldRefused("category", "a finding needs its category ([findings] categories)")
    household = item.get("household") or None
    if household is not None:
        household = _households(stop, [household])[0]
    return {"category": category, "text": text, "household": household}


def _photo(item: dict[str, Any]) -> dict[str, Any]:
    """A photo's finding UUID and bytes: a JPEG or PNG that decodes, within ``[limits] photo_bytes``."""
    finding = str(item.get("finding") or "").lower()
    if len(finding) != 36 or set(finding) - set(UUID):
        raise FieldRefused("malformed", "a photo names the UUID of its finding (finding)")
    try:
        data = base64.b64decode(str(item.get("data") or ""), validate=True)
    except (binascii.Error, ValueError):
        raise FieldRefused("photo_type", "the photo is not base64 data") from None
    limit = get_settings().limits.photo_bytes
    if len(data) > limit:
        raise FieldRefused("photo_size", f"photo of {len(data):,} bytes is over {limit:,} ([limits] photo_bytes)", 413)
    try:
        suffix = photo_suffix(data)
    except InputError as exc:
        raise FieldRefused("photo_type", str(exc)) from None
    _decodes(data)
    return {"finding": finding, "data": data, "suffix": suffix}


def _decodes(data: bytes) -> None:
    """Refuse image bytes that do not decode (a JPEG header on anything else).

    Pillow decodes them when it is installed (it is not a dependency of its own); without
    it the file's structure is checked: a JPEG ends with its end marker, a PNG starts with
    its header chunk and ends with its end chunk.
    """
    if Image is None:
        whole = data.endswith(b"\xff\xd9") if data.startswith(b"\xff\xd8") else data[12:16] == b"IHDR"
        if not whole or (data.startswith(b"\x89PNG") and data[-8:-4] != b"IEND"):
            raise FieldRefused("photo_type", "the photo does not decode as an image (cut short or not an image)")
        return
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise FieldRefused("photo_type", f"the photo does not decode as an image ({exc})") from None


def village_distance_m(store: Store, village_code: str, position: tuple[float, float, float | None]) -> float | None:
    """Metres from ``position`` to the village's outline (0 inside it); None when the store lacks the village."""
    villages = store.read_or_none("villages", where={"village_code": village_code})
    if villages is None or not len(villages) or not isinstance(villages, gpd.GeoDataFrame):
        return None
    epsg = county_epsg(villages)
    outline = villages.to_crs(epsg).geometry.union_all()
    point = gpd.GeoSeries([shapely.Point(position[0], position[1])], crs=villages.crs).to_crs(epsg).iloc[0]
    return float(outline.distance(point))


class FieldRecords(PrivateDB):
    """The ``field_records`` and ``field_photos`` tables: one row per UUID the phone made."""

    def store_record(self, store: Store, plan: dict[str, Any], record: Record, *, who: str) -> dict[str, Any]:
        """Store a checked record once; a UUID already stored answers what was stored (``"duplicate": True``)."""
        with WRITING:
            done = self.answer(record.uuid, plan["plan_id"])
            if done is not None:
                return {**done, "duplicate": True}
            try:
                if record.kind == "photo":
                    self._photo(store, plan, record, who=who)
                else:
                    self._record(store, plan, record, who=who)
            except sqlite3.IntegrityError:  # another server process stored the same UUID meanwhile
                stored = self.answer(record.uuid, plan["plan_id"])
                if stored is None:
                    raise
                return {**stored, "duplicate": True}
            answer = self.answer(record.uuid, plan["plan_id"])
        assert answer is not None  # written just above
        return {**answer, "duplicate": False}

    def answer(self, uuid: str, plan_id: str) -> dict[str, Any] | None:
        """What is stored under ``uuid``: kind, inspection id, flag, distance (None when nothing is).

        A UUID of another plan is refused: the phone made it for this one.
        """
        with self._connect() as con:
            row = (
                con.execute(
                    "SELECT plan_id, kind, inspection_id, flagged, distance_m FROM field_records WHERE uuid = ?",
                    (uuid,),
                ).fetchone()
                or con.execute(
                    "SELECT plan_id, 'photo', inspection_id, 0, NULL FROM field_photos WHERE uuid = ?", (uuid,)
                ).fetchone()
            )
        if row is None:
            return None
        if row[0] != plan_id:
            raise FieldRefused("malformed", f"uuid {uuid} was sent for another plan")
        return {"uuid": uuid, "kind": row[1], "inspection_id": row[2], "flagged": bool(row[3]), "distance_m": row[4]}

    def _record(self, store: Store, plan: dict[str, Any], record: Record, *, who: str) -> None:
        """An arrival, households or finding row (a finding's inspections row first, then its UUID)."""
        stop, position = record.stop, record.position
        distance = flagged = None
        if record.kind == "arrival":
            distance = None if position is None else village_distance_m(store, str(stop["village_code"]), position)
            flagged = distance is None or distance > get_settings().field_pack.arrival_tolerance_m
        inspection_id = None
        if record.kind == "finding":
            inspection_id = add_finding(
                store,
                date=record.at.date(),
                village_code=str(stop["village_code"]),
                household_id=record.fields["household"],
                finding=record.fields["text"],
                inspector=plan["owner"],
                who=who,
                category=record.fields["category"],
                record_uuid=record.uuid,  # a retry after a crash before the row below finds the stored finding
            )
        lon, lat, accuracy = position or (None, None, None)
        row = {
            "uuid": record.uuid,
            "plan_id": plan["plan_id"],
            "stop": int(stop["number"]),
            "kind": record.kind,
            "who": who,
            "at": record.at.isoformat(),
            "received_at": now_text(),
            "lon": lon,
            "lat": lat,
            "accuracy_m": accuracy,
            "distance_m": distance,
            "flagged": int(bool(flagged)),
            "households": json.dumps(record.fields.get("households")) if record.kind == "households" else None,
            "category": record.fields.get("category"),
            "inspection_id": inspection_id,
        }
        with self._connect() as con:
            con.execute(
                f"INSERT INTO field_records ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                tuple(row.values()),
            )
            detail = {"stop": row["stop"], "flagged": row["flagged"], "distance_m": distance, "uuid": record.uuid}
            audit_row(
                con,
                who=who,
                action=f"field:{record.kind}",
                target=plan["plan_id"],
                detail={**detail, "inspection_id": inspection_id},
            )

    def _photo(self, store: Store, plan: dict[str, Any], record: Record, *, who: str) -> None:
        """A photo of a finding already received: the file first, then its row."""
        finding = self.answer(record.fields["finding"], plan["plan_id"])
        if finding is None or finding["kind"] != "finding":
            msg = f"the photo's finding {record.fields['finding']} has not been received: send the finding first"
            raise FieldRefused("finding_first", msg, 409)
        data = record.fields["data"]
        inspection_id = str(finding["inspection_id"])
        name = photo_name(f"{inspection_id}-field-{record.at:%Y%m%d}", data, record.fields["suffix"])
        save_photo(store, name, data)
        lon, lat, accuracy = record.position or (None, None, None)
        row = (
            record.uuid,
            plan["plan_id"],
            record.fields["finding"],
            inspection_id,
            name,
            who,
            record.at.isoformat(),
            now_text(),
            lon,
            lat,
            accuracy,
            len(data),
        )
        with self._connect() as con:
            con.execute(f"INSERT INTO field_photos VALUES ({', '.join('?' * len(row))})", row)
            audit_row(
                con,
                who=who,
                action="field:photo:add",
                target=plan["plan_id"],
                detail={"inspection_id": inspection_id, "photo": name, "uuid": record.uuid},
            )

    def records(self, plan_id: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The records and the photos (without their bytes) received for a plan, oldest first."""
        with self._connect() as con:
            records = pd.read_sql_query(
                "SELECT * FROM field_records WHERE plan_id = ? ORDER BY at", con, params=[plan_id]
            )
            photos = pd.read_sql_query(
                "SELECT * FROM field_photos WHERE plan_id = ? ORDER BY at", con, params=[plan_id]
            )
        return records, photos

    def photo(self, store: Store, plan_id: str, uuid: str, *, who: str) -> tuple[bytes, str]:
        """The bytes and file name of a plan's photo; every opening is audited."""
        with self._connect() as con:
            row = con.execute(
                "SELECT name, inspection_id FROM field_photos WHERE uuid = ? AND plan_id = ?", (uuid, plan_id)
            ).fetchone()
            if row is None:
                raise FieldRefused("photo_missing", f"plan {plan_id} has no photo {uuid}", 404)
            audit_row(
                con,
                who=who,
                action="field:photo",
                target=plan_id,
                detail={"photo": row[0], "inspection_id": row[1], "uuid": uuid},
            )
        return (photo_dir(store) / row[0]).read_bytes(), row[0]
