"""Errors a person can act on, never a 500 or the server's folders: damaged uploads, unknown IDs, expired uploads.

Damaged files go through the readers and the /data page's callbacks (Flask's test
client, posted the way the renderer posts them); every message must name the file,
say what is wrong and what to do, and hold no absolute path of the server.
"""

from __future__ import annotations

import base64
import io
import json
import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from analytics.sites import CRITERIA
from app import create_app
from geodata._errors import ReadError, without_paths
from geodata.io.readers import read_table
from geodata.store import GeoPackageStore
from tests.conftest import village_frame
from tests.test_access import callback_key, client_for, post_callback, text

UPLOAD_INFO = "data-upload-info"


def _flip(raw: bytes, member: str) -> bytes:
    """``raw`` (a zip) with 30 bytes of ``member``'s data inverted: the archive opens, the member does not."""
    info = next(i for i in zipfile.ZipFile(io.BytesIO(raw)).infolist() if i.filename.endswith(member))
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 10
    out = bytearray(raw)
    for k in range(start, start + 30):
        out[k] ^= 0xFF
    return bytes(out)


def _shapefile_zip(tmp: Path) -> bytes:
    folder = tmp / "shp"
    folder.mkdir()
    frame = village_frame().rename(columns={"village_code": "村代码", "name": "村名称"})
    frame = frame[["村代码", "村名称", "geometry"]]
    frame.to_file(folder / "villages.shp", engine="pyogrio", encoding="UTF-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for part in sorted(folder.glob("villages.*")):
            zf.write(part, part.name)
    return buf.getvalue()


def _workbook() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["户编号", "村代码", "户主姓名", "家庭人口数"])
    for i in range(300):
        sheet.append([f"H{i:05d}", "621121100201", "张三", 3])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def damaged_files(tmp: Path) -> dict[str, bytes]:
    """Files a county office might upload: each unreadable in its own way."""
    good_zip = _shapefile_zip(tmp)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("villages.shp", b"\0" * 50_000_000)
    slip = io.BytesIO()
    with zipfile.ZipFile(slip, "w") as zf:
        zf.writestr("../../etc/villages.shp", b"x")
    return {
        "村界-损坏.zip": _flip(good_zip, ".shp"),
        "村界-截断.zip": good_zip[: len(good_zip) // 2],
        "村界-不是压缩包.zip": b"PK\x03\x04 this is not a zip",
        "村界-炸弹.zip": bomb.getvalue(),
        "村界-越界.zip": slip.getvalue(),
        "监测户-损坏.xlsx": _flip(_workbook(), "sheet1.xml"),
        "监测户-截断.xlsx": _workbook()[:1500],
        "村界.geojson": b'{"type": "FeatureCollection", "features": [{"type": "Feat',
    }


def assert_actionable(message: str, name: str, root: Path) -> None:
    """The message names the file and says what to do, and shows no folder of the server."""
    assert name in message, message
    assert str(root) not in message and "/tmp" not in message, message
    assert without_paths(message) == message, message
    assert any(w in message for w in ("again", "refused", "save", "create", "export")), message


def test_damaged_files_are_read_errors_naming_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "srv" / "uploads" / "0123456789abcdef"
    folder.mkdir(parents=True)
    for name, content in damaged_files(tmp_path).items():
        path = folder / name
        path.write_bytes(content)
        with pytest.raises(ReadError) as caught:
            read_table(path)
        assert_actionable(str(caught.value), name, tmp_path)


def test_without_paths_keeps_names_urls_and_fractions() -> None:
    assert without_paths("/srv/bm/.x.uploads/ab/村界 v2.zip: bad") == "村界 v2.zip: bad"
    assert without_paths("'/tmp/a/b.geojson' not recognized") == "'b.geojson' not recognized"
    assert without_paths(r"C:\Users\x\a.xlsx: no sheet") == "a.xlsx: no sheet"
    kept = "see http://example.org/a/b, 3/4 done at 40 km/h"
    assert without_paths(kept) == kept


@pytest.fixture(scope="module")
def admin_client(demo_store_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any, Path]]:
    path = tmp_path_factory.mktemp("errors") / "county.gpkg"
    shutil.copyfile(demo_store_path, path)
    app = create_app(str(path))
    yield app, client_for(app, path, "admin"), path


def upload(app: Any, client: Any, name: str, content: bytes) -> Any:
    url = "data:application/octet-stream;base64," + base64.b64encode(content).decode()
    return post_callback(
        client,
        callback_key(app, f"{UPLOAD_INFO}.children"),
        [{"id": "data-upload", "property": "contents", "value": url}],
        [
            {"id": "data-upload", "property": "filename", "value": name},
            {"id": "data-lang", "property": "data", "value": "zh"},
        ],
    )


def test_damaged_uploads_get_a_message_not_a_500(admin_client: tuple[Any, Any, Path], tmp_path: Path) -> None:
    app, client, store = admin_client
    for name, content in damaged_files(tmp_path).items():
        response = upload(app, client, name, content)
        assert response.status_code == 200, (name, response.status_code)
        body = response.json["response"]
        assert body["data-token"]["data"] is None, name
        assert_actionable(json.dumps(body[UPLOAD_INFO], ensure_ascii=False), name, store.parent)


def _form(token: str | None, layer: str = "households") -> list[dict]:
    return [
        {"id": "data-token", "property": "data", "value": token},
        {"id": "data-sheet", "property": "value", "value": None},
        {"id": "data-layer", "property": "value", "value": layer},
        {"id": "data-crs", "property": "value", "value": None},
        [],
    ]


def test_an_expired_upload_asks_for_the_file_again(admin_client: tuple[Any, Any, Path]) -> None:
    app, client, _store = admin_client
    gone = "0" * 32
    validate = post_callback(
        client,
        callback_key(app, "data-verdict.children"),
        [{"id": "data-validate", "property": "n_clicks", "value": 1}],
        [*_form(gone), {"id": "data-lang", "property": "data", "value": "zh"}],
    )
    assert validate.status_code == 200
    assert "upload it again" in text(validate)
    imported = post_callback(
        client,
        callback_key(app, "data-result.children"),
        [{"id": "data-confirm", "property": "submit_n_clicks", "value": 1}],
        [
            *_form(gone),
            {"id": "data-mode", "property": "value", "value": "replace"},
            {"id": "data-lang", "property": "data", "value": "zh"},
        ],
    )
    assert imported.status_code == 200
    assert "upload it again" in text(imported)
    for missing in (None, "../../etc", "not-a-token"):
        response = post_callback(
            client,
            callback_key(app, "data-verdict.children"),
            [{"id": "data-validate", "property": "n_clicks", "value": 1}],
            [*_form(missing), {"id": "data-lang", "property": "data", "value": "zh"}],
        )
        assert response.status_code == 200 and "upload it again" in text(response), missing


def test_an_unknown_household_in_a_sites_export_is_named(admin_client: tuple[Any, Any, Path]) -> None:
    app, client, store = admin_client
    known = str(GeoPackageStore(store).read("households", columns=["household_id"])["household_id"].iloc[0])
    key = callback_key(app, "sites-download")
    buttons = ("sites-export_geojson", "sites-export_sites_csv", "sites-export_html")
    clicks = [{"id": i, "property": "n_clicks", "value": 1} for i in buttons]
    for typed in (f"NOSUCH-9，{known}", "NOSUCH-9"):
        response = post_callback(client, key, clicks, _sites_state(typed), changed=1)
        assert response.status_code == 200, response.status_code
        body = response.json["response"]
        assert "sites-download" not in body  # no file
        shown = json.dumps(body["sites-export-note"], ensure_ascii=False)
        assert "没有这些户编号：NOSUCH-9" in shown and known not in shown, shown


def _sites_state(add_households: str) -> list[Any]:
    """The /sites controls as the renderer sends them (every weight equal, the settings' defaults otherwise)."""
    weights = [
        {"id": {"type": "site-weight", "criterion": c}, "property": "value", "value": 1.0 / len(CRITERIA)}
        for c in CRITERIA
    ]
    simple = [
        ("sites-slope", None),
        ("sites-buffer", None),
        ("sites-top", None),
        ("sites-households", None),
        ("sites-add", []),
        ("sites-drop", []),
        ("sites-add-hh", add_households),
        ("sites-drop-hh", None),
        ("sites-draws", None),
        ("sites-method", None),
        ("sites-k", None),
        ("sites-capacity", None),
        ("sites-judgements", None),
        ("sites-lang", "zh"),
    ]
    stores = ("sites-judgements", "sites-lang")
    return [weights, *({"id": i, "property": "data" if i in stores else "value", "value": v} for i, v in simple)]
