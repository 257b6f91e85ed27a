"""SMS through a pluggable gateway: the `SMS_BACKEND` setting names a class (dotted path) with one method.

    class MyDistrictSms:
        def send(self, *, to: str, text: str, key: str) -> str:
            ...  # call the district's SMS platform; raise on failure; return the platform's message id

`key` is the same for every attempt at one notice's SMS: pass it to the platform as the client's message id
when the platform accepts one, so that an attempt repeated after a worker died mid-send is not sent twice.
Raise any exception to have the attempt recorded and retried with back-off (notices.services).

The default, `notices.sms.FileSmsBackend`, writes one JSON line per SMS to `SMS_FILE_PATH` (var/sms.jsonl),
once per key.
"""

from __future__ import annotations

import fcntl
import json
import uuid
from functools import cache
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string


class SmsBackend(Protocol):
    def send(self, *, to: str, text: str, key: str) -> str: ...


class FileSmsBackend:
    """One JSON line per SMS ({"id", "key", "to", "text", "at"}), written once per key (under a file lock)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path or settings.SMS_FILE_PATH)

    def send(self, *, to: str, text: str, key: str) -> str:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                handle.seek(0)
                for line in handle:
                    if f'"key": "{key}"' in line:
                        row = json.loads(line)
                        if row.get("key") == key:
                            return str(row["id"])
                message_id = uuid.uuid4().hex
                row = {"id": message_id, "key": key, "to": to, "text": text, "at": timezone.now().isoformat()}
                handle.seek(0, 2)
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                handle.flush()
                return message_id
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


@cache
def _backend_class(path: str) -> type[SmsBackend]:
    cls: type[SmsBackend] = import_string(path)
    return cls


def get_backend() -> SmsBackend:
    return _backend_class(settings.SMS_BACKEND)()
