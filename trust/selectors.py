"""What people see of a case's signatures: which district vouched for which step, and whether it verified."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from accounts.models import User
from cases.models import Case, CaseState
from trust.models import SignedRecord, Verification
from trust.verification import CHECK_LABELS, case_verify, failure_text


@dataclass
class Vouch:
    kind: str
    label: str
    district: str
    window: str
    clerk: str
    at: dt.datetime
    key_id: str


@dataclass
class TrustSummary:
    vouches: list[Vouch]
    acceptance: Vouch | None
    checked: bool = False  # a verification (recorded or made for this page) is shown
    ok: bool = False
    failures: list[dict[str, str]] = field(default_factory=list)
    checked_at: dt.datetime | None = None
    recorded: bool = False  # the verification of the recognition (and its alert), not one made for this page


def _vouch(record: SignedRecord, *, staff: bool) -> Vouch:
    data: dict[str, Any] = record.data
    clerk = (data.get("clerk") or {}).get("name", "") if staff else ""
    return Vouch(
        kind=record.kind,
        label=str(SignedRecord.Kind(record.kind).label),
        district=str(data.get("district_name") or record.district_code),
        window=str(data.get("window_name") or data.get("window") or ""),
        clerk=str(clerk),
        at=record.signed_at,
        key_id=record.key_id,
    )


def trust_summary(*, case: Case, user: User) -> TrustSummary:
    """The signed steps (for everyone who sees the case) and, for staff, the verification: the one recorded at
    recognition, or — while the case waits for the approving district's recognition — one made now."""
    staff = user.role in (User.Role.CLERK, User.Role.SUPERVISOR)
    records = list(SignedRecord.objects.filter(case=case).order_by("event_seq"))
    vouches = [_vouch(record, staff=staff) for record in records]
    acceptances = [v for v in vouches if v.kind == SignedRecord.Kind.ACCEPTANCE]
    summary = TrustSummary(vouches=vouches, acceptance=acceptances[-1] if acceptances else None)
    if not staff or not records:
        return summary
    latest = Verification.objects.filter(case=case).first()
    waiting = case.state == CaseState.TRANSFERRED
    if latest is not None and not (waiting and latest.checked_at < records[-1].signed_at):
        summary.checked, summary.ok, summary.checked_at, summary.recorded = True, latest.ok, latest.checked_at, True
        failures = latest.failures
    elif waiting:
        report = case_verify(case, holder=case.approving_district.division_code)
        summary.checked, summary.ok = True, report.ok
        failures = [{"what": c.what, "message": c.message, "data": c.data} for c in report.failures]
    else:
        return summary
    summary.failures = [
        {"label": str(CHECK_LABELS.get(str(f.get("what")), f.get("what"))), "message": failure_text(f)}
        for f in failures
    ]
    return summary
