"""Factories of the helpdesk tests: a fixed cast and a controllable clock."""

from __future__ import annotations

import datetime as dt
import itertools

from accounts.models import Firm, FirmSpecialist, User
from helpdesk.models import ClerkProfile
from standards.models import District, ItemVersion, ServiceItem, ServiceWindow

_seq = itertools.count(1)
T0 = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


class Clock:
    """The time tests pass as `now=`; advance it like a stopwatch."""

    def __init__(self, start: dt.datetime = T0):
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> dt.datetime:
        self.now += dt.timedelta(seconds=seconds)
        return self.now


def district(code: str) -> District:
    return District.objects.get(division_code=code)


def make_citizen(*, code: str | None = "310101", name: str = "市民", firm: Firm | None = None) -> User:
    n = next(_seq)
    return User.objects.create_user(
        username=f"citizen{n}",
        display_name=f"{name}{n}",
        role=User.Role.FIRM if firm else User.Role.CITIZEN,
        firm=firm,
        district=district(code) if code else None,
        phone="13800000000",
        password="x-c9-test-pass",
    )


def make_clerk(
    code: str = "310101",
    *,
    status: str | None = None,
    idle_since: dt.datetime | None = None,
    sectors: list[str] | None = None,
    languages: list[str] | None = None,
) -> User:
    n = next(_seq)
    the_district = district(code)
    clerk = User.objects.create_user(
        username=f"clerk{n}",
        display_name=f"店小二{n}",
        role=User.Role.CLERK,
        district=the_district,
        window=ServiceWindow.objects.get(code=f"{code}-YRD"),
        password="x-c9-test-pass",
    )
    ClerkProfile.objects.create(
        clerk=clerk,
        status=status or ClerkProfile.Status.OFFLINE,
        idle_since=idle_since,
        last_heartbeat=idle_since,
        sectors=sectors or [],
        languages=languages or [],
    )
    return clerk


def make_firm(code: str = "310101") -> Firm:
    from accounts.identifiers import uscc_check_char

    n = next(_seq)
    stem = f"91{code}MA{n:07d}"[:17]
    return Firm.objects.create(
        name=f"测试企业{n}", credit_code=stem + uscc_check_char(stem), registered_district=district(code)
    )


def make_specialist(firm: Firm, clerk: User) -> FirmSpecialist:
    return FirmSpecialist.objects.create(firm=firm, district=clerk.district, clerk=clerk)


def make_item_version(*, sector: str = "housing_fund", name: str = "住房公积金转移接续") -> ItemVersion:
    n = next(_seq)
    item = ServiceItem.objects.create(code=f"TEST-{n:05d}")
    return ItemVersion.objects.create(
        item=item,
        number=1,
        status=ItemVersion.Status.PUBLISHED,
        name=name,
        item_type="public_service",
        sector=sector,
        statutory_limit=20,
        promised_limit=10,
    )


def close_console(page, clerk: User, timeout: float = 15.0) -> None:
    """Close a clerk's browser and wait until the server has handled the console socket's close.

    The close handler writes (declines a ring, goes offline, audits) in its own transaction; a
    test that ended while it ran would have its database flushed under it, and on PostgreSQL the
    flush's TRUNCATE and that transaction can deadlock.
    """
    import time

    page.context.close()
    deadline = time.monotonic() + timeout
    while ClerkProfile.objects.filter(clerk=clerk).exclude(status=ClerkProfile.Status.OFFLINE).exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"the console of {clerk} did not go offline in {timeout:.0f} s")
        time.sleep(0.05)
