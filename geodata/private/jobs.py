"""Background jobs whose progress any server worker can read: status files beside the store.

The /data page starts the indicator rebuild after an import here and polls its status.
A job runs in a thread of the worker that started it; its status (state, step of steps,
label, error) is a small JSON file replaced atomically at every step, so a poll that
reaches another worker process still sees it. Jobs of one board run one at a time.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from geodata.private.files import private_dir
from geodata.store import Store

log = logging.getLogger(__name__)
_JOB_ID = re.compile(r"^[0-9a-f]{16}$")
Work = Callable[[Callable[[str], None]], None]


class JobBoard:
    """Start jobs in background threads and report their progress from status files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._serial = threading.Lock()

    @classmethod
    def beside(cls, store: Store) -> JobBoard:
        """The job board of ``store``: ``.NAME.jobs`` in the store's folder (see ``Store.sidecar``)."""
        return cls(store.sidecar(".jobs", hidden=True))

    def start(self, name: str, steps: int, work: Work) -> str:
        """Run ``work(progress)`` in a thread; ``progress(label)`` marks one of ``steps`` steps done."""
        job_id = secrets.token_hex(8)
        status = {
            "job": job_id,
            "name": name,
            "state": "queued",
            "step": 0,
            "steps": steps,
            "label": "",
            "error": "",
            "started": time.time(),
            "finished": None,
        }
        self._write(status)
        threading.Thread(target=self._run, args=(status, work), name=f"job-{name}", daemon=True).start()
        return job_id

    def status(self, job_id: str | None) -> dict[str, Any] | None:
        """The job's status, or None for an unknown id."""
        if not job_id or not _JOB_ID.match(job_id):
            return None
        path = self.root / f"{job_id}.json"
        try:
            return json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return None

    def _run(self, status: dict[str, Any], work: Work) -> None:
        with self._serial:
            status["state"] = "running"
            self._write(status)

            def progress(label: str) -> None:
                status["step"] = min(status["step"] + 1, status["steps"])
                status["label"] = label
                self._write(status)

            try:
                work(progress)
            except Exception as exc:  # reported on the page; the log keeps the traceback
                log.exception("job %s failed", status["name"])
                status.update(state="failed", error=str(exc))
            else:
                status.update(state="done", step=status["steps"])
            status["finished"] = time.time()
            self._write(status)

    def _write(self, status: dict[str, Any]) -> None:
        """Replace the status file atomically."""
        private_dir(self.root)
        fd, tmp = tempfile.mkstemp(dir=self.root, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(status, fh)
        os.replace(tmp, self.root / f"{status['job']}.json")
