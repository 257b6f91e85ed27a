"""Group names of the helpdesk sockets (messages go out through govservice.events).

Each party has its own group, so a message is delivered to the one it is meant for:
a ring to one clerk, a queue update to one citizen, a signalling message to the other
member of a call (never back to the sender).
"""

from __future__ import annotations

# The roles in a call: the citizen, the clerk holding it, clerks brought in (guests), and the
# recorder, which joins only calls recorded for audit.
CALL_ROLES = ("citizen", "clerk", "guest", "recorder")


def clerk_group(user_id: int) -> str:
    return f"assist.clerk.{user_id}"


def request_group(request_id: int) -> str:
    return f"assist.request.{request_id}"


def call_group(session_id: int, peer: str) -> str:
    """One member of a call, by its peer id (`helpdesk.models.peer_id`): "citizen", "recorder", "clerk-<id>"."""
    return f"assist.call.{session_id}.{peer}"


def call_everyone_group(session_id: int) -> str:
    """Every socket of a call (hang-up, who is in the call): what all members hear at once."""
    return f"assist.call.{session_id}.all"


RECORDER_CHANNEL_GROUP = "assist.recorders"
