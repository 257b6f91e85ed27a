"""Place a real call through the running system and report its timings.

    python manage.py assist_probe --server http://127.0.0.1:8000 --citizen zhangsan --clerk clerk_huangpu

The probe signs both users in (it runs beside the server, on the same database), opens
the clerk's console and makes the clerk available, clicks "call" as the citizen
(POST /api/assist/requests/), accepts the ring at once, joins both sides of the call
with aiortc peers sending synthetic video, and reports: time to ring, time to first
frame (both directions) and frames received.
"""

from __future__ import annotations

import json
import statistics
from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.management.base import BaseCommand, CommandError, CommandParser
from rest_framework.authtoken.models import Token

from accounts.models import User
from helpdesk.models import AssistRequest


def session_key_for(user: User) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    if session.session_key is None:  # create() always sets one
        raise CommandError("no session key after SessionStore.create()")
    return session.session_key


class Command(BaseCommand):
    help = "Place a real video call (request, routing, signalling, media) and report the timings."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--server", default="http://127.0.0.1:8000")
        parser.add_argument("--citizen", default="zhangsan")
        parser.add_argument("--clerk", default="clerk_huangpu")
        parser.add_argument("--calls", type=int, default=1)
        parser.add_argument("--frames", type=int, default=10, help="frames each side must receive")
        parser.add_argument("--json", action="store_true", help="print one JSON object per call")

    def handle(self, *args: Any, **options: Any) -> None:
        from helpdesk.peers import place_call, run_coroutine

        try:
            citizen = User.objects.get(username=options["citizen"])
            clerk = User.objects.get(username=options["clerk"])
        except User.DoesNotExist as exc:
            raise CommandError(f"unknown user: {exc}") from None
        if not clerk.is_clerk:
            raise CommandError(f"{clerk} is not a clerk")
        server = options["server"].rstrip("/")
        token = Token.objects.get_or_create(user=citizen)[0].key
        results = []
        for _ in range(options["calls"]):
            # A probe left over from an interrupted run must not hold the citizen's place.
            AssistRequest.objects.filter(citizen=citizen, state__in=AssistRequest.OPEN_STATES).update(state="cancelled")
            result = run_coroutine(
                place_call(
                    http_base=server,
                    ws_base="ws" + server[len("http") :],
                    citizen_token=token,
                    citizen_cookie=session_key_for(citizen),
                    clerk_cookie=session_key_for(clerk),
                    frames=options["frames"],
                )
            )
            results.append(result)
            if options["json"]:
                self.stdout.write(json.dumps(result.as_dict()))
            else:
                self.stdout.write(
                    f"call #{result.session_id}: ring {result.time_to_ring_ms:.1f} ms, accepted "
                    f"{result.time_to_accept_ms:.1f} ms, first frame at the clerk "
                    f"{result.time_to_first_frame_ms:.1f} ms, "
                    f"at the citizen {result.citizen_first_frame_ms:.1f} ms; frames received clerk "
                    f"{result.clerk_frames}, citizen {result.citizen_frames}"
                )
            # The probe's clerk writes a short wrap-up so they are available for the next call.
            from helpdesk.models import CallSession
            from helpdesk.services import call_session_wrap_up

            session = CallSession.objects.get(pk=result.session_id)
            call_session_wrap_up(
                session=session, clerk=clerk, notes="assist_probe", outcome="resolved", then_available=False
            )
        if len(results) > 1 and not options["json"]:
            firsts = sorted(r.time_to_first_frame_ms for r in results)
            rings = sorted(r.time_to_ring_ms for r in results)
            self.stdout.write(
                f"{len(results)} calls: ring p50 {statistics.median(rings):.1f} ms, first frame p50 "
                f"{statistics.median(firsts):.1f} ms, max {firsts[-1]:.1f} ms"
            )
