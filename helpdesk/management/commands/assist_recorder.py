"""A long-lived recorder: joins calls that policy wants recorded and writes each member's media (the caller's,
the clerk's holding the call, each clerk's brought in, from their join) to a file of its own, attached to
the call with its SHA-256 as soon as that member's file is complete.

    python manage.py assist_recorder --server http://127.0.0.1:8000

It hears `record.start` on the channel layer at once, and also scans the database, so a
call that started while the recorder was down is still recorded when it comes back.
aiortc decodes and re-encodes every frame of every member (a three-way call costs three streams):
run it on its own host or core, never in a consumer; `--max-calls` bounds the calls, not the streams.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

log = logging.getLogger("helpdesk.recorder")


class Command(BaseCommand):
    help = "Record calls for audit (a receive-only aiortc peer per call)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--server", default="http://127.0.0.1:8000", help="the ASGI server's HTTP origin")
        parser.add_argument("--scan-interval", type=float, default=5.0, help="seconds between database scans")
        parser.add_argument("--max-calls", type=int, default=4, help="calls recorded at once (CPU bound)")

    def handle(self, *args: Any, **options: Any) -> None:
        asyncio.run(
            Recorder(
                server=options["server"].rstrip("/"),
                scan_interval=options["scan_interval"],
                max_calls=options["max_calls"],
            ).run()
        )


def _sessions_to_record() -> list[int]:
    from helpdesk.models import CallSession

    return list(
        CallSession.objects.filter(recording_required=True, ended_at__isnull=True).values_list("pk", flat=True)[:50]
    )


class Recorder:
    def __init__(self, *, server: str, scan_interval: float, max_calls: int):
        self.server = server
        self.ws_base = "ws" + server[len("http") :]
        self.scan_interval = scan_interval
        self.slots = asyncio.Semaphore(max_calls)
        self.active: dict[int, asyncio.Task[None]] = {}

    async def run(self) -> None:
        from helpdesk.realtime import RECORDER_CHANNEL_GROUP

        # channels-redis's layer: the stubs know only the base class, whose new_channel() takes no prefix.
        layer: Any = get_channel_layer()
        channel = await layer.new_channel("assist.recorder.")
        await layer.group_add(RECORDER_CHANNEL_GROUP, channel)
        log.info("recorder ready on %s", self.server)
        listener = asyncio.ensure_future(self._listen(layer, channel))
        try:
            while True:
                for session_id in await database_sync_to_async(_sessions_to_record)():
                    self.start(session_id)
                await asyncio.sleep(self.scan_interval)
                # Group membership expires in the layer: renew it.
                await layer.group_add(RECORDER_CHANNEL_GROUP, channel)
        finally:
            listener.cancel()
            await layer.group_discard(RECORDER_CHANNEL_GROUP, channel)

    async def _listen(self, layer: Any, channel: str) -> None:
        while True:
            message = await layer.receive(channel)
            payload = message.get("payload", {})
            if payload.get("type") == "record.start":
                self.start(int(payload["session"]))

    def start(self, session_id: int) -> None:
        if session_id in self.active and not self.active[session_id].done():
            return
        self.active[session_id] = asyncio.ensure_future(self.record(session_id))

    async def record(self, session_id: int) -> None:
        from helpdesk.consumers import recorder_token
        from helpdesk.peers import RecordedFile, RecorderPeer
        from helpdesk.services import call_recording_attach

        async with self.slots:
            relative_dir = f"assist/recordings/call{session_id}"
            directory = Path(settings.MEDIA_ROOT) / relative_dir
            directory.mkdir(parents=True, exist_ok=True)

            async def attach(recorded: RecordedFile) -> None:
                relative = f"{relative_dir}/{Path(recorded.path).name}"
                try:
                    await database_sync_to_async(call_recording_attach)(
                        session_id=session_id,
                        peer=recorded.peer,
                        path=relative,
                        started_at=recorded.started_at,
                        ended_at=recorded.ended_at,
                    )
                except Exception:
                    log.exception("recording %s of call %s could not be attached", relative, session_id)
                    return
                log.info("call %s: %s recorded to %s", session_id, recorded.peer, relative)

            peer = RecorderPeer(
                ws_base=self.ws_base,
                origin=self.server,
                session_id=session_id,
                token=recorder_token(session_id),
                directory=str(directory),
                on_file=attach,
            )
            try:
                files = await peer.run()
            except Exception:
                log.exception("recording of call %s failed", session_id)
                return
            log.info("call %s: %d member recordings", session_id, len(files))
