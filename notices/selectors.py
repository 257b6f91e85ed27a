"""Reads of the notices app: a person's own inbox, never anyone else's."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from accounts.models import User
from notices import kinds
from notices.models import Notice


@dataclass(frozen=True)
class InboxEntry:
    notice: Notice
    title: str
    body: str
    tone: str

    @property
    def unread(self) -> bool:
        return self.notice.read_at is None


def notices_of(user: User) -> QuerySet[Notice]:
    return Notice.objects.filter(recipient=user)


def inbox(user: User, *, unread_only: bool = False, limit: int = 100) -> list[InboxEntry]:
    """The person's notices, newest first, with their text in the active language."""
    rows = notices_of(user)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    entries = []
    for notice in rows[:limit]:
        title, body = kinds.render(notice.kind, notice.data)
        entries.append(InboxEntry(notice, title, body, kinds.tone(notice.kind)))
    return entries


def unread_count(user: User) -> int:
    return notices_of(user).filter(read_at__isnull=True).count()
