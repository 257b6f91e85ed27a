"""The one writer of the helpdesk's audit trail (`AssistEvent`).

Every state change writes its row here, in the transaction of the change; the kinds are
declared once, as `AssistEvent.Kind`, and a kind that is not declared is refused (a bug, not
a row nobody can filter on).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from helpdesk.models import AssistEvent

Kind = AssistEvent.Kind


def assist_audit(
    *,
    kind: AssistEvent.Kind,
    at: dt.datetime,
    actor_id: int | None = None,
    request_id: int | None = None,
    session_id: int | None = None,
    **data: Any,
) -> AssistEvent:
    """Append one audit row: who (`actor_id`), about which request or call, and what (`data`, JSON)."""
    if kind not in Kind.values:
        raise ValueError(f"undeclared audit kind {kind!r}: declare it in AssistEvent.Kind")
    return AssistEvent.objects.create(
        kind=Kind(kind), at=at, actor_id=actor_id, request_id=request_id, session_id=session_id, data=data
    )
