"""Background WAL checkpoints for the SQLite database that several processes share.

SQLite's automatic checkpoint runs inside whichever commit pushes the write-ahead log past its
threshold; while another process holds an old read snapshot the checkpoint cannot finish, and
every following commit tries again, so requests pay for copying pages and syncing the file
(measured: the helpdesk click's median 22 → 15 ms once checkpoints left the request path;
docs/benchmarks.md). Here one daemon thread per web or worker process runs a PASSIVE checkpoint
every second: it never blocks readers or writers and gives up when busy. The automatic
checkpoint stays on with a larger threshold (settings.py) in case no server is running.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

logger = logging.getLogger(__name__)

_started: set[str] = set()


def start_wal_checkpointer(alias: str = "default", interval: float = 1.0) -> threading.Thread | None:
    from django.db import connections

    settings_dict = connections[alias].settings_dict
    path = str(settings_dict["NAME"])
    if settings_dict["ENGINE"] != "django.db.backends.sqlite3" or path.startswith((":memory:", "file:")):
        return None
    if path in _started:
        return None
    _started.add(path)

    def run() -> None:
        db = None
        while True:
            time.sleep(interval)
            try:
                if db is None:
                    db = sqlite3.connect(path, timeout=0, isolation_level=None)
                db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error as error:  # busy, or the file is gone (a test database dropped)
                logger.debug("WAL checkpoint of %s skipped: %s", path, error)
                if db is not None:
                    db.close()
                    db = None

    thread = threading.Thread(target=run, name="sqlite-wal-checkpoint", daemon=True)
    thread.start()
    return thread
