"""The helpdesk's sockets: the citizen's queue, the clerk's console, and the signalling of a call.

Thin: authenticate on connect, check access before joining a group, one handler per
message type, services through database_sync_to_async, always leave groups on close.
Each party has its own group, so nothing a sender says comes back to the sender.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.core import signing

from govservice.errors import DomainError
from govservice.ws_guard import GuardedJsonConsumer, int_field
from helpdesk import services, signalling
from helpdesk.conf import conf
from helpdesk.realtime import RECORDER_CHANNEL_GROUP, call_everyone_group, call_group, clerk_group, request_group

if TYPE_CHECKING:
    from helpdesk.models import AssistRequest

log = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_GONE = 4410


class _Base(GuardedJsonConsumer):
    groups_joined: list[str]

    async def refuse(self, code: int) -> None:
        # Accept, then close: a browser cannot read the status of a refused handshake.
        await self.accept()
        await self.close(code=code)

    async def join(self, group: str) -> None:
        self.groups_joined = [*getattr(self, "groups_joined", []), group]
        await self.channel_layer.group_add(group, self.channel_name)

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # noqa: BLE001 - a failed leave expires with the group; never crash the close
                log.warning("group_discard failed for %s", group)

    async def assist_push(self, event: dict[str, Any]) -> None:
        await self.send_json(event["payload"])

    def query(self, name: str) -> str | None:
        values = parse_qs(self.scope.get("query_string", b"").decode()).get(name)
        return values[0] if values else None

    @property
    def user(self) -> Any:  # AuthMiddleware's lazy User or AnonymousUser; None outside it
        return self.scope.get("user")

    def signed_in(self) -> bool:
        return self.user is not None and self.user.is_authenticated


class CitizenQueueConsumer(_Base):
    """ws/assist/queue/<request_id>/: live position and estimate, cancel, ask for a callback."""

    request_id: int

    async def connect(self) -> None:
        if not self.signed_in():
            await self.refuse(CLOSE_UNAUTHENTICATED)
            return
        self.request_id = int(self.scope["url_route"]["kwargs"]["request_id"])
        request = await database_sync_to_async(self._own_request)()
        if request is None:
            await self.refuse(CLOSE_FORBIDDEN)
            return
        await self.join(request_group(self.request_id))
        await self.accept()
        status = await database_sync_to_async(self._returned_and_status)(request)
        await self.send_json({"type": "queue", **status})
        session_id = await database_sync_to_async(self._session_id)()
        if session_id:
            await self.send_json({"type": "call.start", "session": session_id})

    def _own_request(self) -> AssistRequest | None:
        from helpdesk.models import AssistRequest

        return AssistRequest.objects.filter(pk=self.request_id, citizen=self.user).first()

    def _returned_and_status(self, request: AssistRequest) -> dict[str, Any]:
        from helpdesk import selectors

        if request.citizen_left_at is not None:
            services.assist_request_returned(request_id=request.pk)
            request.refresh_from_db()
        return selectors.queue_status(request=request)

    def _session_id(self) -> int | None:
        from helpdesk.models import CallSession

        return (
            CallSession.objects.filter(request_id=self.request_id, ended_at__isnull=True)
            .values_list("pk", flat=True)
            .first()
        )

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type")
        try:
            if kind == "cancel":
                await database_sync_to_async(self._cancel)()
            elif kind == "callback":
                await database_sync_to_async(self._callback)(str(content.get("phone") or ""))
            elif kind == "ping":
                await self.send_json({"type": "pong", "t": content.get("t")})
        except DomainError as exc:  # a refusal, told on the socket (no HTTP here)
            await self.send_json({"type": "error", "code": exc.code, "message": str(exc)})

    def _owned(self) -> AssistRequest:
        request = self._own_request()
        if request is None:  # connect() admitted the socket only for the citizen's own request
            raise PermissionError(f"request {self.request_id} is not the citizen's")
        return request

    def _cancel(self) -> None:
        services.assist_request_cancel(request=self._owned(), actor=self.user)

    def _callback(self, phone: str) -> None:
        services.assist_request_callback(request=self._owned(), actor=self.user, phone=phone)

    async def disconnect(self, code: int) -> None:
        await super().disconnect(code)
        if getattr(self, "request_id", None) and self.signed_in():
            await database_sync_to_async(services.assist_request_left)(request_id=self.request_id)


class ClerkConsoleConsumer(_Base):
    """ws/assist/console/: presence by heartbeat, rings (a queue request, or an invitation to join
    another clerk's call), accept and decline, the waiting list (pushed) and picking from it."""

    async def connect(self) -> None:
        if not self.signed_in():
            await self.refuse(CLOSE_UNAUTHENTICATED)
            return
        if not self.user.is_clerk:
            await self.refuse(CLOSE_FORBIDDEN)
            return
        await self.join(clerk_group(self.user.pk))
        await self.accept()
        hello = await database_sync_to_async(self._hello)()
        await self.send_json(hello)

    def _hello(self) -> dict[str, Any]:
        from helpdesk import selectors
        from helpdesk.models import CallInvite, CallMember, CallSession, Offer

        profile = services.clerk_heartbeat(clerk=self.user)
        ringing = (
            Offer.objects.filter(clerk=self.user, outcome=Offer.Outcome.RINGING)
            .select_related(
                "request__citizen", "request__item_version", "request__item", "request__district", "request__firm"
            )
            .first()
        )
        session = CallSession.objects.filter(clerk=self.user, wrapped_up_at__isnull=True).first()
        if session is None:  # a clerk brought into another clerk's call
            stay = (
                CallMember.objects.filter(
                    user=self.user, role=CallMember.Role.GUEST, left_at__isnull=True, session__ended_at__isnull=True
                )
                .select_related("session")
                .first()
            )
            session = stay.session if stay is not None else None
        invite = (
            CallInvite.objects.filter(clerk=self.user, outcome=CallInvite.Outcome.RINGING)
            .select_related("invited_by__district", "session__request__citizen", "session__request__district")
            .first()
        )
        return {
            "type": "hello",
            "status": profile.status,
            "ring": {
                "offer": ringing.pk,
                "deadline": ringing.ring_deadline.isoformat(),
                "context": services.request_context(ringing.request),
            }
            if ringing
            else None,
            "session": {"id": session.pk, "ended": session.ended_at is not None} if session else None,
            "invite": selectors.invite_context(invite) if invite else None,
            "waiting": selectors.waiting_for_clerk(clerk=self.user),
        }

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type")
        try:
            if kind == "heartbeat":
                profile = await database_sync_to_async(services.clerk_heartbeat)(clerk=self.user)
                await self.send_json({"type": "heartbeat.ok", "status": profile.status, "t": content.get("t")})
            elif kind == "presence":
                await database_sync_to_async(services.clerk_presence_set)(
                    clerk=self.user, status=str(content.get("status"))
                )
            elif kind == "accept":
                await database_sync_to_async(services.assist_offer_accept)(
                    offer_id=int_field(content, "offer"), clerk=self.user
                )
            elif kind == "decline":
                await database_sync_to_async(services.assist_offer_decline)(
                    offer_id=int_field(content, "offer"), clerk=self.user
                )
            elif kind == "pick":
                await database_sync_to_async(services.assist_request_pick)(
                    request_id=int_field(content, "request"), clerk=self.user
                )
            elif kind == "waiting":  # the console asks for its list again (after a reconnect, say)
                rows = await database_sync_to_async(self._waiting)()
                await self.send_json({"type": "waiting", "rows": rows})
            elif kind == "invite.accept":
                await database_sync_to_async(services.call_invite_accept)(
                    invite_id=int_field(content, "invite"), clerk=self.user
                )
            elif kind == "invite.decline":
                await database_sync_to_async(services.call_invite_decline)(
                    invite_id=int_field(content, "invite"), clerk=self.user
                )
        except DomainError as exc:  # a refusal, told on the socket (no HTTP here)
            await self.send_json({"type": "error", "code": exc.code, "message": str(exc), "about": kind})

    def _waiting(self) -> list[dict[str, Any]]:
        from helpdesk import selectors

        return selectors.waiting_for_clerk(clerk=self.user)

    async def disconnect(self, code: int) -> None:
        await super().disconnect(code)
        if self.signed_in() and self.user.is_clerk:
            await database_sync_to_async(services.clerk_console_closed)(clerk=self.user)


RECORDER_SALT = "helpdesk.recorder"


def recorder_token(session_id: int) -> str:
    return signing.dumps({"session": session_id}, salt=RECORDER_SALT)


class CallSignallingConsumer(_Base):
    """ws/assist/call/<session_id>/?last_seq=N: offer, answer, ICE candidates, hang-up, chat, screen share.

    Only the session's members (the citizen, the clerk holding the call, clerks brought in) and the
    recorder service with a signed token may join. A call of N members is a full mesh: each member
    is addressed by its peer id ("citizen", "clerk-<user id>", "recorder"); a message with `to`
    goes to that member only (offers, answers, candidates of one pair), one without goes to every
    other member (chat, media state). Who is in the call is pushed to every socket (`members`) when
    it changes. Each message is stamped with a sequence number per recipient and kept for a short
    while, so a socket that drops and returns within the grace period gets what it missed
    (`last_seq` = the last number it saw).

    Recording for audit: once the caller agreed to the notice (pushed to every member), each member opens
    a send-only connection of their own to the recorder (`to: "recorder"`), and the recorder answers each
    (`to: <peer id>`), writing a file per member.
    """

    session_id: int
    role: str | None
    peer: str
    peers: list[str]
    ended = False
    # Whether the caller agreed to the recording: until then no member's media goes to the recorder.
    recording_consent = ""
    recording: dict[str, Any] | None = None

    async def connect(self) -> None:
        self.session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        self.role = None
        token = self.query("recorder_token")
        if token:
            try:
                data = signing.loads(token, salt=RECORDER_SALT, max_age=3600)
            except signing.BadSignature:
                await self.refuse(CLOSE_FORBIDDEN)
                return
            if data.get("session") != self.session_id:
                await self.refuse(CLOSE_FORBIDDEN)
                return
            # The recorder answers each member's own connection to it (a file per member's media).
            self.role, self.peer = "recorder", "recorder"
            self.peers = await database_sync_to_async(self._peers_now)()
            members: list[dict[str, Any]] = []
            snapshots: list[dict[str, Any]] = []
        else:
            if not self.signed_in():
                await self.refuse(CLOSE_UNAUTHENTICATED)
                return
            info = await database_sync_to_async(self._membership)()
            if info is None:
                await self.refuse(CLOSE_FORBIDDEN)
                return
            if isinstance(info, str):  # "ended"
                await self.refuse(CLOSE_GONE)
                return
            self.role, self.peer, self.peers, members, snapshots = info
        await self.join(call_group(self.session_id, self.peer))
        await self.join(call_everyone_group(self.session_id))
        await self.accept()
        present = await signalling.mark_present(self.session_id, self.peer, self.channel_name)
        ice_servers = await database_sync_to_async(self._ice_servers)()
        peers_present = [peer for peer in self.peers if present.get(peer)]
        # What a member who reloads the page finds again: the chat so far, the documents captured.
        history = await signalling.chat_history(self.session_id) if self.role != "recorder" else []
        await self.send_json(
            {
                "type": "joined",
                "role": self.role,
                "peer": self.peer,
                "session": self.session_id,
                # The citizen is the polite peer of "perfect negotiation": on a collision it yields
                # (between two clerks, the one with the greater peer id yields: see call.js).
                "polite": self.role == "citizen",
                "peer_present": bool(peers_present),
                "peers_present": peers_present,
                "members": members,
                "chat": history,
                "snapshots": snapshots,
                "recorder_present": present.get("recorder", False),
                "recording": self.recording,
                "ice_servers": ice_servers,
            }
        )
        # A number the client saw; anything else (`abc`, `-1`) is a fresh join without replay.
        raw_seq = self.query("last_seq")
        last_seq = int(raw_seq) if raw_seq is not None and raw_seq.isdigit() and len(raw_seq) < 12 else None
        if last_seq is not None:
            for message in await signalling.missed(self.session_id, self.peer, last_seq):
                await self.send(text_data=message)
        announce = {"type": "peer.joined", "role": self.role, "peer": self.peer, "resumed": last_seq is not None}
        for other in [*self.peers, *(["recorder"] if self.role != "recorder" else [])]:
            await self.channel_layer.group_send(
                call_group(self.session_id, other), {"type": "assist.push", "payload": announce}
            )

    def _membership(
        self,
    ) -> tuple[str, str, list[str], list[dict[str, Any]], list[dict[str, Any]]] | str | None:
        from helpdesk import selectors
        from helpdesk.models import CallSession, peer_id

        session = CallSession.objects.filter(pk=self.session_id).first()
        role = session.role_of(self.user.pk) if session is not None else None
        if session is None or role is None:  # not a member
            return None
        if session.ended_at is not None:
            return "ended"
        services.call_member_returned(session_id=session.pk, role=role)
        self.recording = {
            "required": session.recording_required,
            "consent": session.recording_consent or None,
            "refusable": conf().recording_refusable,
        }
        self.recording_consent = session.recording_consent
        me = peer_id(role=role, user_id=self.user.pk)
        others = [peer for peer in selectors.call_peer_ids(session=session) if peer != me]
        members = selectors.call_members(session_id=session.pk)
        return role, me, others, members, selectors.call_snapshots(session=session)

    def _peers_now(self) -> list[str]:
        from helpdesk import selectors
        from helpdesk.models import CallSession

        session = CallSession.objects.filter(pk=self.session_id).first()
        return selectors.call_peer_ids(session=session) if session is not None else []

    def _consent_now(self) -> str:
        from helpdesk.models import CallSession

        return CallSession.objects.filter(pk=self.session_id).values_list("recording_consent", flat=True).first() or ""

    def _ice_servers(self) -> list[dict[str, Any]]:
        return services.ice_servers_for(self.user) if self.role != "recorder" else []

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        kind = content.get("type")
        if kind == "ping":
            await self.send_json({"type": "pong", "t": content.get("t")})
            return
        if self.ended:
            # After the hang-up nothing more is relayed (the socket closes once the hang-up is out).
            await self.send_json({"type": "error", "code": "call_ended"})
            return
        if kind == "hangup" and self.role != "recorder":
            try:
                await database_sync_to_async(self._hang_up)()
            except DomainError as exc:  # a guest who has already left, say
                await self.send_json({"type": "error", "code": exc.code, "message": str(exc)})
                return
            # A guest leaves (the call goes on; their hang-up comes back to close this socket).
            self.ended = self.role != "guest"
            return
        if kind == "recording.consent" and self.role == "citizen":
            try:
                self.recording_consent = await database_sync_to_async(self._recording_consent)(
                    bool(content.get("agree"))
                )
            except DomainError as exc:
                await self.send_json({"type": "error", "code": exc.code, "message": str(exc)})
                return
            # Every member learns it (each sends their own media to the recorder once the caller agreed).
            await self.channel_layer.group_send(
                call_everyone_group(self.session_id),
                {"type": "assist.push", "payload": {"type": "recording.consent", "consent": self.recording_consent}},
            )
            return
        if kind not in signalling.RELAYED:
            await self.send_json({"type": "error", "code": "unknown_type"})
            return
        # To the recorder only when addressed to it; to one member when addressed; otherwise to all others.
        to = content.get("to")
        recipients: list[str]
        if self.role == "recorder":
            # To the member whose connection it answers (a recorder of old addresses the caller).
            to = to or "citizen"
            recipients = [to] if to in self.peers else []
        elif to == "recorder":
            # Any member's media (the caller's, each clerk's), and only once the caller agreed to the notice.
            if self.recording_consent != "given":
                self.recording_consent = await database_sync_to_async(self._consent_now)()
            if self.recording_consent != "given":
                await self.send_json({"type": "error", "code": "recording_consent_needed"})
                return
            recipients = ["recorder"]
        elif to:
            # A member who has just left is no longer addressed (their candidates are of no use).
            recipients = [to] if to in self.peers else []
        else:
            recipients = self.peers
        chat_entry = (
            {"from": self.role, "peer": self.peer, "text": str(content.get("text", ""))[:2000]}
            if kind == "chat" and self.role != "recorder"
            else None
        )
        if chat_entry is not None and not recipients:  # alone in the call: kept for whoever comes back
            await signalling.chat_keep(self.session_id, chat_entry)
        for index, recipient in enumerate(recipients):
            message = await signalling.stamp(
                self.session_id,
                recipient,
                {**content, "from": self.role, "peer": self.peer},
                chat_entry=chat_entry if index == 0 else None,
            )
            await self.channel_layer.group_send(
                call_group(self.session_id, recipient), {"type": "assist.relay", "text": message}
            )

    def _recording_consent(self, agree: bool) -> str:
        from helpdesk.models import CallSession

        session = CallSession.objects.get(pk=self.session_id)
        return services.call_recording_consent(session=session, citizen=self.user, agree=agree)

    def _hang_up(self) -> None:
        from helpdesk.models import CallSession

        session = CallSession.objects.get(pk=self.session_id)
        services.call_hang_up(session=session, actor=self.user)

    async def assist_relay(self, event: dict[str, Any]) -> None:
        if not self.ended:
            await self.send(text_data=event["text"])

    async def assist_push(self, event: dict[str, Any]) -> None:
        payload = event["payload"]
        if payload.get("type") == "members":
            self.peers = [member["peer"] for member in payload["members"] if member["peer"] != self.peer]
        elif payload.get("type") == "recording.consent":
            self.recording_consent = payload["consent"]
        await self.send_json(payload)
        if payload.get("type") == "hangup":
            # The call ended (or this member left it, or handed it over): tell them, then close as "gone".
            self.ended = True
            await self.close(code=CLOSE_GONE)

    async def disconnect(self, code: int) -> None:
        await super().disconnect(code)
        role = getattr(self, "role", None)  # unset or None when connect refused the socket
        if not role:
            return
        await signalling.mark_absent(self.session_id, self.peer, self.channel_name)
        if role != "recorder":
            await database_sync_to_async(services.call_member_left)(session_id=self.session_id, role=role)
        for other in [*self.peers, *(["recorder"] if role != "recorder" else [])]:
            # The others learn from the sweep anyway.
            with contextlib.suppress(Exception):
                await self.channel_layer.group_send(
                    call_group(self.session_id, other),
                    {"type": "assist.push", "payload": {"type": "peer.left", "role": role, "peer": self.peer}},
                )


__all__ = ["RECORDER_CHANNEL_GROUP", "CallSignallingConsumer", "CitizenQueueConsumer", "ClerkConsoleConsumer"]
