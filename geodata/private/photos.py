"""Photo evidence kept in a private folder beside the store's private file, never in the store.

Task progress reports (:mod:`geodata.private.task_updates`) and rectification steps of
findings (:mod:`geodata.private.findings`) both keep their photos here: a JPEG or PNG
under ``[limits] photo_bytes``, in a 0700 folder, each file 0600, named by its owner,
time and content hash so that a retry writes the same name.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from geodata._errors import InputError
from geodata.private.db import PrivateDB
from geodata.private.files import private_dir, private_file
from geodata.settings import get_settings
from geodata.store import Store

PHOTO_TYPES = {b"\xff\xd8\xff": ".jpg", b"\x89PNG\r\n\x1a\n": ".png"}


def photo_dir(store: Store) -> Path:
    """The private folder of photos, beside the store's private file."""
    path = PrivateDB.beside(store).path
    return private_dir(path.parent / f"{path.stem}.photos")


def photo_suffix(photo: bytes | None) -> str:
    """The file suffix of a JPEG or PNG photo ("" for none); anything else, or too large, is refused."""
    if photo is None:
        return ""
    limit = get_settings().limits.photo_bytes
    if len(photo) > limit:
        msg = f"photo of {len(photo):,} bytes is over the limit of {limit:,} ([limits] photo_bytes)"
        raise InputError(msg)
    for magic, suffix in PHOTO_TYPES.items():
        if photo.startswith(magic):
            return suffix
    msg = "the photo must be a JPEG or PNG image"
    raise InputError(msg)


def photo_name(prefix: str, photo: bytes, suffix: str) -> str:
    """``prefix``, the first 12 hex digits of the photo's SHA-256 and its suffix."""
    return f"{prefix}-{hashlib.sha256(photo).hexdigest()[:12]}{suffix}"


def save_photo(store: Store, name: str, photo: bytes) -> Path:
    """Write ``photo`` as ``name`` in the private folder (mode 0600); returns its path."""
    path = private_file(photo_dir(store) / name)
    path.write_bytes(photo)
    return path
