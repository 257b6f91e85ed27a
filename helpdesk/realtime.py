"""Group names of the helpdesk sockets (messages go out through govservice.events).

Each party has its own group, so a message is delivered to the one it is meant for:
a ring to one clerk, a queue update to one citizen, a signalling message to the other
member of a call (never back to the sender).
"""

from __future__ import annotations

# The members of a call, each with a group of its own: the recorder joins only calls recorded for audit.
CALL_ROLES = ("citizen", "clerk", "recorder")


def clerk_group(user_id: int) -> str:
    return f"assist.clerk.{user_id}"


def request_group(request_id: int) -> str:
    return f"assist.request.{request_id}"


def call_group(session_id: int, role: str) -> str:
    return f"assist.call.{session_id}.{role}"


RECORDER_CHANNEL_GROUP = "assist.recorders"
