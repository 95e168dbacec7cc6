"""A test-only pause point, so fault tests can kill a process in the middle of a store write.

With ``BATTLEMAP_PAUSE_AT=NAME:FILE`` in the environment, :func:`pause_point` ``NAME``
creates ``FILE`` (holding the process id) and waits until the file is removed; a test
waits for the file, then kills the process (SIGKILL) or removes the file to let it go
on. Without the variable it does nothing (one dictionary lookup). Points in use:
``store.write`` (both stores, after a layer was written inside an open transaction).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PAUSE_ENV = "BATTLEMAP_PAUSE_AT"


def pause_point(name: str) -> None:
    """Wait here while the file named by ``BATTLEMAP_PAUSE_AT=name:FILE`` exists (see the module)."""
    point, sep, flag = os.environ.get(PAUSE_ENV, "").partition(":")
    if not sep or point != name:
        return
    path = Path(flag)
    path.write_text(str(os.getpid()), "utf-8")
    while path.exists():
        time.sleep(0.05)
