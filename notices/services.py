"""Every change of the notices app: writing notices, sending their deliveries, reading, choosing channels.

`notify` is called by other apps' services inside their transaction (cases.services.case_notices): it writes
the inbox entries in a savepoint (one INSERT; a notice that cannot be written is logged and never undoes the
step), and queues one Celery message after commit. The worker (`notices_send`) writes one delivery row per
channel the person chose (unique per notice and channel) and sends each: the attempt is counted first (an
autocommit compare-and-set), then the channel's backend is called with a key that is the same for every
attempt (the file backends write a message once per key; a gateway that takes a client message id does the
same), then the row is marked sent.
A failure is recorded (attempts, last error) and retried with back-off; after `NOTICES_MAX_ATTEMPTS` the row
is marked failed. A worker killed mid-send has its message redelivered (acks_late, reject_on_worker_lost),
and beat's sweep queues again whatever stayed unplanned or pending (docs/pitfalls.md: enqueue after commit).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import DatabaseError, transaction
from django.db.models import Count, F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.identifiers import mask_phone
from accounts.models import User
from govservice import events
from govservice.errors import NotFound
from notices import kinds, sms
from notices.kinds import Audience
from notices.models import Channel, Notice, NoticeDelivery, NoticePreference
from notices.text import mask_email

logger = logging.getLogger(__name__)

MAX_ATTEMPTS: int = settings.NOTICES_MAX_ATTEMPTS
# A claimed delivery is not swept again before this (a send in progress); back-off doubles up to the cap.
LEASE = dt.timedelta(seconds=120)
BACKOFF_BASE_SECONDS: int = settings.NOTICES_RETRY_BASE_SECONDS
BACKOFF_CAP_SECONDS = 600  # well under the broker's visibility timeout (docs/pitfalls.md)
SWEEP_AFTER = dt.timedelta(seconds=settings.NOTICES_SWEEP_AFTER_SECONDS)
UNREAD_EVENT = "notices.unread"


# --- channels a person chose ----------------------------------------------------------------------


@dataclass(frozen=True)
class Preferences:
    email: bool
    sms: bool
    # SMS is offered to applicants only (staff notices go to the inbox and, when chosen, by email).
    sms_offered: bool


def _is_staff(user: User) -> bool:
    return user.role in {User.Role.CLERK, User.Role.SUPERVISOR, User.Role.STANDARDS_ADMIN}


def preferences_of(user: User) -> Preferences:
    """The person's choice, or their role's defaults: applicants get email and SMS, staff the inbox only."""
    staff = _is_staff(user)
    try:
        row: NoticePreference | None = user.notice_preference
    except NoticePreference.DoesNotExist:
        row = None
    if row is None:
        return Preferences(email=not staff, sms=not staff, sms_offered=not staff)
    return Preferences(email=row.email, sms=row.sms and not staff, sms_offered=not staff)


def preferences_set(*, user: User, email: bool, sms: bool) -> Preferences:
    """The inbox is always on; email and SMS as chosen (SMS stays off for staff)."""
    NoticePreference.objects.update_or_create(
        user=user, defaults={"email": bool(email), "sms": bool(sms) and not _is_staff(user)}
    )
    user.refresh_from_db()
    return preferences_of(user)


def _channels(user: User, audience: Audience) -> list[str]:
    chosen = preferences_of(user)
    channels: list[str] = []
    if chosen.email and user.email:
        channels.append(Channel.EMAIL)
    if audience == Audience.APPLICANT and chosen.sms and user.phone:
        channels.append(Channel.SMS)
    return channels


# --- writing notices (inside the caller's transaction) --------------------------------------------


def notify(*, user_ids: Iterable[int | None], kind: str, key: str, data: dict[str, Any], link: str = "") -> int:
    """Write one inbox entry of `kind` per person (once per `key`); the worker plans and sends the rest.

    Inside the caller's transaction: one INSERT (in a savepoint: a notice that cannot be written is logged
    and never undoes the step), then one Celery message after commit. Returns the number of people.
    """
    kinds.KINDS[kind]  # a kind that is not declared is a programming error: KeyError here, in the tests
    ids = sorted({uid for uid in user_ids if uid})
    if not ids:
        return 0
    try:
        with transaction.atomic():
            Notice.objects.bulk_create(
                [Notice(recipient_id=uid, kind=kind, key=key, data=data, link=link) for uid in ids],
                ignore_conflicts=True,
            )
    except DatabaseError:
        logger.exception("notice %s (%s) could not be written; the step stands", kind, key)
        return 0
    transaction.on_commit(lambda: _enqueue_send(key, ids), robust=True)
    return len(ids)


def _enqueue_send(key: str, user_ids: list[int]) -> None:
    from notices.tasks import send_notices

    try:
        send_notices.delay(key, user_ids)
    except Exception:
        logger.exception("send_notices %s could not be queued; the notice sweep will retry", key)


# --- sending (in the worker) ----------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryOutcome:
    status: str  # "sent", "skipped", "failed", "retry", "busy", "gone"
    retry_in: int | None = None  # seconds, for "retry"


def backoff_seconds(attempts: int) -> int:
    """After the n-th failed attempt: base · 2^(n-1), at most ten minutes."""
    return int(min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1)))


def notices_send(*, key: str, user_ids: list[int]) -> list[tuple[int, DeliveryOutcome]]:
    """The worker's job after notices are written: plan each one's deliveries (the channels the person chose),
    send those pending, and update the readers' headers. Idempotent: planned and sent rows are not redone."""
    notices = list(
        Notice.objects.filter(key=key, recipient_id__in=user_ids).select_related(
            "recipient", "recipient__notice_preference"
        )
    )
    unplanned = [notice for notice in notices if notice.planned_at is None]
    if unplanned:
        now = timezone.now()
        NoticeDelivery.objects.bulk_create(
            [
                NoticeDelivery(notice=notice, channel=channel, next_attempt_at=now)
                for notice in unplanned
                if notice.recipient.is_active
                for channel in _channels(notice.recipient, kinds.KINDS[notice.kind].audience)
            ],
            ignore_conflicts=True,
        )
        Notice.objects.filter(pk__in=[notice.pk for notice in unplanned]).update(planned_at=now)
    pending = NoticeDelivery.objects.filter(
        notice_id__in=[notice.pk for notice in notices], status=NoticeDelivery.Status.PENDING
    )
    outcomes = [
        (delivery_id, delivery_send(delivery_id=delivery_id))
        for delivery_id in list(pending.order_by("pk").values_list("pk", flat=True))
    ]
    push_unread([notice.recipient_id for notice in notices], now=True)
    return outcomes


def delivery_send(*, delivery_id: int) -> DeliveryOutcome:
    """One attempt at one delivery; exactly one successful send per (notice, channel)."""
    row = (
        NoticeDelivery.objects.select_related("notice", "notice__recipient", "notice__recipient__notice_preference")
        .filter(pk=delivery_id)
        .first()
    )
    if row is None:
        return DeliveryOutcome("gone")
    if row.status != NoticeDelivery.Status.PENDING:
        return DeliveryOutcome(row.status)
    now = timezone.now()
    # Count the attempt first, committed on its own: a worker killed mid-send leaves a trace, and of two
    # deliveries of the same message only one claims this attempt.
    claimed = NoticeDelivery.objects.filter(
        pk=row.pk, status=NoticeDelivery.Status.PENDING, attempts=row.attempts
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
    if not claimed:
        return DeliveryOutcome("busy")
    row.attempts += 1
    user = row.notice.recipient
    address = _address(user, row.channel)
    if address is None:
        NoticeDelivery.objects.filter(pk=row.pk).update(status=NoticeDelivery.Status.SKIPPED)
        return DeliveryOutcome("skipped")
    try:
        gateway_id = _send_channel(row, address)
    except Exception as error:  # noqa: BLE001 - any backend failure is recorded and retried, never raised
        return _failed(row, error, now=now)
    NoticeDelivery.objects.filter(pk=row.pk).update(
        status=NoticeDelivery.Status.SENT,
        sent_at=timezone.now(),
        sent_to=mask_email(address) if row.channel == Channel.EMAIL else mask_phone(address),
        gateway_id=gateway_id[:120],
    )
    return DeliveryOutcome("sent")


def _address(user: User, channel: str) -> str | None:
    """Where to send, or None when the person has no address there, turned the channel off, or left."""
    chosen = preferences_of(user)
    if not user.is_active:
        return None
    if channel == Channel.EMAIL:
        return user.email if chosen.email and user.email else None
    return user.phone if chosen.sms and user.phone else None


def _failed(row: NoticeDelivery, error: Exception, *, now: dt.datetime) -> DeliveryOutcome:
    message = f"{type(error).__name__}: {error}"[:300]
    if row.attempts >= MAX_ATTEMPTS:
        NoticeDelivery.objects.filter(pk=row.pk).update(status=NoticeDelivery.Status.FAILED, last_error=message)
        logger.error(
            "notice delivery %s (%s) failed %s times, given up: %s", row.pk, row.channel, row.attempts, message
        )
        return DeliveryOutcome("failed")
    delay = backoff_seconds(row.attempts)
    NoticeDelivery.objects.filter(pk=row.pk).update(
        last_error=message, next_attempt_at=now + dt.timedelta(seconds=delay)
    )
    logger.warning(
        "notice delivery %s (%s) attempt %s failed, again in %ss: %s", row.pk, row.channel, row.attempts, delay, message
    )
    return DeliveryOutcome("retry", retry_in=delay)


def message_text(notice: Notice) -> tuple[str, str]:
    """The title and text as sent: in Chinese, with the page's full address."""
    with translation.override(settings.LANGUAGE_CODE):
        title, body = kinds.render(notice.kind, notice.data)
        if notice.link:
            body = f"{body}\n{settings.PUBLIC_BASE_URL.rstrip('/')}{notice.link}"
        footer = _("This message was sent by the system; please do not reply.")
    return title, f"{body}\n\n{footer}"


def _send_channel(row: NoticeDelivery, address: str) -> str:
    """Hand one message to the channel's backend; the gateway's id back. Raises when the backend does."""
    title, body = message_text(row.notice)
    key = row.idempotency_key
    if row.channel == Channel.EMAIL:
        domain = settings.PUBLIC_BASE_URL.split("://")[-1].split("/")[0].split(":")[0] or "localhost"
        message_id = f"<{key}@{domain}>"
        EmailMessage(
            subject=title,
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
            headers={"Message-ID": message_id},
        ).send(fail_silently=False)
        return message_id
    with translation.override(settings.LANGUAGE_CODE):
        signature = settings.SMS_SIGNATURE
        text = f"【{signature}】{title}：{kinds.render(row.notice.kind, row.notice.data)[1]}"
    return sms.get_backend().send(to=address, text=text, key=key)


def delivery_sweep(*, now: dt.datetime | None = None) -> int:
    """Beat: queue again the notices never planned and the deliveries still pending well after their time
    (a message lost with Redis, a worker that died)."""
    from notices.tasks import deliver_notice, send_notices

    now = now or timezone.now()
    unplanned: dict[str, list[int]] = {}
    rows = Notice.objects.filter(planned_at__isnull=True, created_at__lte=now - SWEEP_AFTER)
    for key, recipient_id in rows.values_list("key", "recipient_id")[:500]:
        unplanned.setdefault(key, []).append(recipient_id)
    for key, user_ids in unplanned.items():
        send_notices.delay(key, user_ids)
    due = NoticeDelivery.objects.filter(
        status=NoticeDelivery.Status.PENDING, next_attempt_at__lte=now - SWEEP_AFTER
    ).values_list("pk", flat=True)[:500]
    queued = len(unplanned)
    for delivery_id in due:
        deliver_notice.delay(delivery_id)
        queued += 1
    if queued:
        logger.warning("notice sweep: %d messages queued again", queued)
    return queued


# --- reading --------------------------------------------------------------------------------------


def unread_counts(user_ids: Iterable[int]) -> dict[int, int]:
    ids = sorted(set(user_ids))
    counts = dict(
        Notice.objects.filter(recipient_id__in=ids, read_at__isnull=True)
        .values("recipient_id")
        .annotate(n=Count("pk"))
        .values_list("recipient_id", "n")
    )
    return {uid: counts.get(uid, 0) for uid in ids}


def push_unread(user_ids: Iterable[int], *, now: bool = False) -> None:
    """Every open page of these people hears their unread count (the header's badge)."""
    messages = [
        (events.user_group(uid), {"type": UNREAD_EVENT, "unread": count})
        for uid, count in unread_counts(user_ids).items()
    ]
    if now:
        events.dispatch(messages)
    else:
        events.send_each_on_commit(messages)


def notice_mark_read(*, user: User, notice_id: int) -> Notice:
    """Mark one of the person's own notices read (someone else's is not found)."""
    updated = Notice.objects.filter(pk=notice_id, recipient=user, read_at__isnull=True).update(read_at=timezone.now())
    notice = Notice.objects.filter(pk=notice_id, recipient=user).first()
    if notice is None:
        raise NotFound(_("No such notice."))
    if updated:
        push_unread([user.pk])
    return notice


def notices_mark_all_read(*, user: User) -> int:
    updated = Notice.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
    if updated:
        push_unread([user.pk])
    return updated


__all__ = [
    "DeliveryOutcome",
    "Preferences",
    "backoff_seconds",
    "delivery_send",
    "delivery_sweep",
    "message_text",
    "notice_mark_read",
    "notices_mark_all_read",
    "notices_send",
    "notify",
    "preferences_of",
    "preferences_set",
    "push_unread",
    "unread_counts",
]
