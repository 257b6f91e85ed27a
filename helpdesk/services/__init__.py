"""Writes of the helpdesk, one module per job; this package re-exports the public API, so that
callers keep writing `from helpdesk import services; services.assist_request_create(...)`.

Every state change is one function, one transaction, a guard on the current state
(compare-and-set), one audit row (`audit.assist_audit`) and realtime events after commit
(`govservice.events`). Refusals are `govservice.errors` kinds with stable codes; the API's one
exception handler turns them into HTTP answers. Every function takes `now` so that tests
drive the clock; production passes nothing.

* `requests`   — the citizen's click, cancel, callback request; the queue page leaving and returning
* `presence`   — clerks' status, heartbeats, the console closing
* `routing`    — the routing pass (rules in `helpdesk.router`), offers: ring, decline, accept, timers
* `sweep`      — the beat's sweep: stale presence, dropped calls, abandoned requests, then a pass
* `calls`      — hang-up, wrap-up, rating, snapshots, recording
* `members`    — calls of more than two: a clerk of another district brought in, warm transfer, members' stays
* `drafts`     — the caller's application shared in the call (consent), changes pushed to every screen
* `prechecks`  — 预审 of the shared application in the call, the caller's uploads and submission from it
* `identity`   — 身份核验 by video in the call, recorded with the call and given to the linked case
* `recordings` — recordings, a file per member: SHA-256 into the case chain, audited playback, the retention sweep
* `turn`       — ICE servers and short-lived TURN credentials
* `callbacks`  — the clerks' callback list: claim, release, done, expired claims
* `case_links` — the caller's case (by reference), snapshots filed as case materials, draft cases
* `audit`      — the one writer of `AssistEvent` rows (kinds declared in `AssistEvent.Kind`)
* `fanout`     — after-commit nudges shared by many changes (queue positions, the callback list)
* `waiting`    — the console's waiting list: a clerk picks a waiting request (by the router's rules)
* `replies`    — 常用语: a clerk's own canned replies (a district's are kept in the admin)
"""

from __future__ import annotations

from govservice.errors import DomainError as AssistError
from helpdesk.services.audit import assist_audit
from helpdesk.services.callbacks import callback_claim, callback_claims_expire, callback_done, callback_release
from helpdesk.services.calls import (
    ALLOWED_SNAPSHOT_TYPES,
    call_hang_up,
    call_member_left,
    call_member_returned,
    call_notes_save,
    call_session_end,
    call_session_rate,
    call_session_wrap_up,
    call_snapshot_add,
    call_snapshot_take,
)
from helpdesk.services.case_links import call_case_draft_create, call_case_for, call_snapshot_file_to_case
from helpdesk.services.drafts import call_draft_fill, call_draft_share
from helpdesk.services.fanout import QUEUE_BROADCAST_DELAY, QUEUE_BROADCAST_PENDING
from helpdesk.services.identity import call_identity_check
from helpdesk.services.members import (
    call_invite_accept,
    call_invite_create,
    call_invite_decline,
    call_invites_expire,
    call_member_leave,
)
from helpdesk.services.prechecks import call_draft_submit, call_draft_upload, call_precheck_mark
from helpdesk.services.presence import clerk_console_closed, clerk_heartbeat, clerk_presence_set, clerk_profile_for
from helpdesk.services.recordings import (
    call_recording_attach,
    call_recording_consent,
    call_recording_play,
    call_recordings_listed,
    call_recordings_sweep,
)
from helpdesk.services.replies import canned_reply_add, canned_reply_delete
from helpdesk.services.requests import (
    assist_request_callback,
    assist_request_cancel,
    assist_request_create,
    assist_request_left,
    assist_request_returned,
)
from helpdesk.services.routing import (
    RoutePass,
    assist_offer_accept,
    assist_offer_decline,
    assist_offers_expire,
    assist_route,
    request_context,
)
from helpdesk.services.sweep import assist_sweep
from helpdesk.services.turn import ice_servers_for
from helpdesk.services.waiting import assist_request_pick

__all__ = [
    "ALLOWED_SNAPSHOT_TYPES",
    "QUEUE_BROADCAST_DELAY",
    "QUEUE_BROADCAST_PENDING",
    "AssistError",
    "RoutePass",
    "assist_audit",
    "assist_offer_accept",
    "assist_offer_decline",
    "assist_offers_expire",
    "assist_request_callback",
    "assist_request_cancel",
    "assist_request_create",
    "assist_request_left",
    "assist_request_pick",
    "assist_request_returned",
    "assist_route",
    "assist_sweep",
    "call_case_draft_create",
    "call_case_for",
    "call_draft_fill",
    "call_draft_share",
    "call_draft_submit",
    "call_draft_upload",
    "call_hang_up",
    "call_identity_check",
    "call_invite_accept",
    "call_invite_create",
    "call_invite_decline",
    "call_invites_expire",
    "call_member_leave",
    "call_member_left",
    "call_member_returned",
    "call_notes_save",
    "call_precheck_mark",
    "call_recording_attach",
    "call_recording_consent",
    "call_recording_play",
    "call_recordings_listed",
    "call_recordings_sweep",
    "call_session_end",
    "call_session_rate",
    "call_session_wrap_up",
    "call_snapshot_add",
    "call_snapshot_file_to_case",
    "call_snapshot_take",
    "callback_claim",
    "callback_claims_expire",
    "callback_done",
    "callback_release",
    "canned_reply_add",
    "canned_reply_delete",
    "clerk_console_closed",
    "clerk_heartbeat",
    "clerk_presence_set",
    "clerk_profile_for",
    "ice_servers_for",
    "request_context",
]
