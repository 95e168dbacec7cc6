"""Files uploaded through the browser, kept beside the store until they are imported or expire.

Each upload gets a random token (its folder name); the page holds only the token, so
no client-supplied path ever reaches the file system. The original file name is kept
(cleaned) because readers choose the format by its suffix and reports name the file.
The last validation report of an upload is kept with it for the Excel download.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import shutil
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from geodata._errors import InputError, StoreError
from geodata.io.report import Problem, Report
from geodata.private.files import private_dir, private_file
from geodata.store import Store

_TOKEN = re.compile(r"^[0-9a-f]{32}$")
_UNSAFE = re.compile(r"[^\w.\-()（）]+")
REPORT_FILE = "report.json"


@dataclass(frozen=True)
class Upload:
    """One uploaded file: its token, cleaned name, path on disk and size in bytes."""

    token: str
    name: str
    path: Path
    size: int


def decode_upload(contents: str, *, max_bytes: int) -> bytes:
    """The bytes of a ``dcc.Upload`` data URL (``data:…;base64,…``); too large or malformed is refused."""
    _, _, payload = contents.partition(";base64,")
    if not payload:
        msg = "the upload is not a base64 data URL; upload the file again"
        raise InputError(msg)
    if len(payload) * 3 // 4 > max_bytes + 3:
        msg = f"the file is larger than the limit of {max_bytes:,} bytes (setting imports.max_upload_bytes)"
        raise InputError(msg)
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        msg = f"the upload could not be decoded ({exc}); upload the file again"
        raise InputError(msg) from exc


def clean_name(filename: str) -> str:
    """A safe file name keeping Chinese characters and the suffix: no folders, no odd characters."""
    base = unicodedata.normalize("NFKC", Path(filename.replace("\\", "/")).name).strip()
    stem, dot, suffix = base.rpartition(".")
    stem, suffix = (stem, suffix) if dot else (base, "")
    stem = _UNSAFE.sub("_", stem).strip("._") or "upload"
    suffix = _UNSAFE.sub("", suffix).lower()
    return f"{stem[:80]}.{suffix}" if suffix else stem[:80]


class UploadArea:
    """A folder of uploads (one sub-folder per token) beside a store."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def beside(cls, store: Store) -> UploadArea:
        """The upload area of ``store``: ``.NAME.uploads`` in the store's folder (see ``Store.sidecar``)."""
        return cls(store.sidecar(".uploads", hidden=True))

    def save(self, filename: str, content: bytes, *, keep_hours: float) -> Upload:
        """Keep ``content`` under a new token; uploads older than ``keep_hours`` are removed first."""
        self.prune(keep_hours=keep_hours)
        token = secrets.token_hex(16)
        folder = private_dir(self.root) / token
        folder.mkdir(mode=0o700)
        try:
            path = private_file(folder / clean_name(filename))  # household ledgers: the server's user only
            path.write_bytes(content)
        except OSError as exc:  # disk full, quota: nothing half-written stays behind
            shutil.rmtree(folder, ignore_errors=True)
            msg = (
                f"the server could not keep the uploaded file {clean_name(filename)} ({exc.strerror or exc}); "
                "ask the administrator to free disk space on the server, then upload it again"
            )
            raise StoreError(msg) from exc
        return Upload(token, path.name, path, len(content))

    def get(self, token: str | None) -> Upload:
        """The upload with ``token``; an unknown or malformed token asks for the file again."""
        folder = self.root / token if token and _TOKEN.match(token) else None
        files = [p for p in folder.iterdir() if p.name != REPORT_FILE] if folder and folder.is_dir() else []
        if not files:
            msg = (
                "the uploaded file is no longer on the server (uploads are kept for [imports] upload_keep_hours "
                "and removed after an import); choose the file and upload it again"
            )
            raise InputError(msg)
        return Upload(token, files[0].name, files[0], files[0].stat().st_size)  # type: ignore[arg-type]

    def save_report(self, upload: Upload, report: Report) -> None:
        """Keep the last validation report of ``upload`` (for the Excel download)."""
        (upload.path.parent / REPORT_FILE).write_text(json.dumps(report.as_dict(), ensure_ascii=False), "utf-8")

    def report(self, upload: Upload) -> Report:
        """The last validation report saved for ``upload``."""
        path = upload.path.parent / REPORT_FILE
        if not path.exists():
            msg = "validate the file first"
            raise InputError(msg)
        raw = json.loads(path.read_text("utf-8"))
        problems = [Problem(**p) for p in raw["problems"]]
        return Report(file=raw["file"], layer=raw["layer"], rows=raw["rows"], problems=problems)

    def discard(self, upload: Upload) -> None:
        """Remove an upload (after it was imported)."""
        shutil.rmtree(upload.path.parent, ignore_errors=True)

    def prune(self, *, keep_hours: float) -> None:
        """Remove uploads older than ``keep_hours``."""
        if not self.root.is_dir():
            return
        cutoff = time.time() - keep_hours * 3600
        for folder in self.root.iterdir():
            if _TOKEN.match(folder.name) and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
