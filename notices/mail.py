"""The default email backend for a laptop and the tests: Django's file backend, one file per message.

Django's own file backend writes every message of a connection into one new file: a message sent again after
a worker died mid-send would be written twice. This one names each file after the message's Message-ID
(notices give every attempt at one notice's email the same id), so the same message is written once.
Production sets `EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend` and the `EMAIL_*` variables.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from django.core.mail import EmailMessage
from django.core.mail.backends.filebased import EmailBackend as DjangoFileBackend

_UNSAFE = re.compile(r"[^A-Za-z0-9._@-]+")


class FileEmailBackend(DjangoFileBackend):
    file_path: str  # set by Django's file backend from EMAIL_FILE_PATH (its stubs do not declare it)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        folder = Path(self.file_path)
        for message in email_messages:
            message_id = str(message.extra_headers.get("Message-ID", "")).strip("<>") or os.urandom(8).hex()
            target = folder / f"{_UNSAFE.sub('_', message_id)}.eml"
            if not target.exists():
                partial = target.with_suffix(f".{os.getpid()}.tmp")
                partial.write_bytes(message.message().as_bytes(linesep="\n"))
                os.replace(partial, target)
            sent += 1
        return sent
