"""Folders and files that only the server's own user may open.

The private SQLite file (password hashes, unannounced-visit plans, the audit log), the
uploaded ledgers and the shared cache (pickles of unmasked household records, which the
server loads and so would run) must not be readable, or writable, by other local users,
whatever the process's umask (gunicorn and systemd leave it at 022 or even 0).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from geodata._errors import ConfigError

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: str | os.PathLike[str]) -> Path:
    """``path`` as a folder of this user with mode 0700 (created, or tightened when it is ours).

    A folder that another user owns is refused: whoever owns it could read what is put
    there or plant files the server would load.
    """
    folder = Path(path)
    folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    info = folder.stat()
    if info.st_uid != os.getuid():
        msg = f"{folder} belongs to another user (uid {info.st_uid}); use a folder of the server's own user"
        raise ConfigError(msg)
    if stat.S_IMODE(info.st_mode) & 0o077:
        folder.chmod(DIR_MODE)
    return folder


def private_file(path: str | os.PathLike[str]) -> Path:
    """``path`` as a file only this user may open: created empty with mode 0600, or tightened when it exists."""
    file = Path(path)
    try:
        os.close(os.open(file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))
    except FileExistsError:
        if stat.S_IMODE(file.stat().st_mode) & 0o077:
            file.chmod(FILE_MODE)
    return file
