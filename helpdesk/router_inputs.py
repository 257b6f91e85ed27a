"""The router's inputs: plain-value snapshots of clerks and requests, read from the database.

The rules in `helpdesk.router` are pure functions over `ClerkView` and `RequestView`; these
readers build them. Both the routing pass (`helpdesk.services.routing`) and the queue and
callback reads (`helpdesk.selectors`) use them, so they live here: selectors never import
services.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from accounts.models import FirmSpecialist, User
from helpdesk import router
from helpdesk.models import AssistRequest, ClerkProfile, Language, Offer

# Clerks who let a request ring out or declined it are not asked again for this long.
RECENT_REFUSAL_SECONDS = 60


def clerk_views(*, firms: bool = True, items: bool = True) -> list[router.ClerkView]:
    """Every signed-in clerk, as plain values (no model instances: this runs on every click and presence change).

    A pass whose waiting requests name no firm (or no item) skips reading the specialists (or the
    clerks' items): the router only looks at them for such requests.
    """
    rows = list(
        ClerkProfile.objects.exclude(status=ClerkProfile.Status.OFFLINE).values_list(
            "pk",
            "clerk_id",
            "clerk__district_id",
            "clerk__district__city",
            "status",
            "idle_since",
            "sectors",
            "languages",
        )
    )
    clerk_ids = [row[1] for row in rows]
    specialists: dict[int, set[int]] = {}
    if firms and rows:
        for clerk_id, firm_id in FirmSpecialist.objects.filter(active=True, clerk_id__in=clerk_ids).values_list(
            "clerk_id", "firm_id"
        ):
            specialists.setdefault(clerk_id, set()).add(firm_id)
    item_skills: dict[int, set[int]] = {}
    if items and rows:
        for profile_id, item_id in ClerkProfile.items.through.objects.filter(
            clerkprofile_id__in=[row[0] for row in rows]
        ).values_list("clerkprofile_id", "serviceitem_id"):
            item_skills.setdefault(profile_id, set()).add(item_id)
    return [
        router.ClerkView(
            user_id=clerk_id,
            profile_id=profile_id,
            district_id=district_id,
            city=city or "",
            status=status,
            idle_since=idle_since,
            sectors=frozenset(sectors or []),
            item_ids=frozenset(item_skills.get(profile_id, ())),
            languages=frozenset(languages or [Language.MANDARIN]),
            specialist_firm_ids=frozenset(specialists.get(clerk_id, ())),
        )
        for profile_id, clerk_id, district_id, city, status, idle_since, sectors, languages in rows
    ]


REQUEST_VIEW_FIELDS = (
    "pk",
    "created_at",
    "priority",
    "firm_id",
    "district_id",
    "district__city",
    "item_id",
    "sector",
    "language",
    "callback_offered_at",
)


def request_views(
    requests: list[AssistRequest] | QuerySet[AssistRequest], now: dt.datetime
) -> list[router.RequestView]:
    """Snapshots of requests (a list of model instances, or a queryset read as plain values)."""
    if isinstance(requests, list):
        rows = [
            (
                r.pk,
                r.created_at,
                r.priority,
                r.firm_id,
                r.district_id,
                r.district.city if r.district is not None else "",
                r.item_id,
                r.sector,
                r.language,
                r.callback_offered_at,
            )
            for r in requests
        ]
    else:
        rows = list(requests.values_list(*REQUEST_VIEW_FIELDS))
    recent = now - dt.timedelta(seconds=RECENT_REFUSAL_SECONDS)
    excluded: dict[int, set[int]] = {}
    # Recently declined or timed-out offers: few rows, whatever the length of the queue.
    for request_id, clerk_id in Offer.objects.filter(
        outcome__in=[Offer.Outcome.DECLINED, Offer.Outcome.TIMED_OUT], created_at__gte=recent
    ).values_list("request_id", "clerk_id"):
        excluded.setdefault(request_id, set()).add(clerk_id)
    return [
        router.RequestView(
            id=pk,
            created_at=created_at,
            priority=priority,
            firm_id=firm_id,
            district_id=district_id,
            city=city or "",
            item_id=item_id,
            sector=sector,
            language=language,
            excluded_clerk_ids=frozenset(excluded.get(pk, ())),
            callback_offered=callback_offered_at is not None,
        )
        for pk, created_at, priority, firm_id, district_id, city, item_id, sector, language, callback_offered_at in rows
    ]


def clerk_view_of(clerk: User) -> router.ClerkView:
    """One clerk's skills and reach, whatever their presence (the callback list is worked offline too)."""
    profile = ClerkProfile.objects.filter(clerk=clerk).first()
    district = clerk.district
    return router.ClerkView(
        user_id=clerk.pk,
        profile_id=profile.pk if profile else 0,
        district_id=clerk.district_id,
        city=district.city if district else "",
        status=profile.status if profile else ClerkProfile.Status.OFFLINE,
        idle_since=None,
        sectors=frozenset(profile.sectors or []) if profile else frozenset(),
        item_ids=frozenset(profile.items.values_list("pk", flat=True)) if profile else frozenset(),
        languages=frozenset(profile.spoken_languages if profile else [Language.MANDARIN]),
        specialist_firm_ids=frozenset(
            FirmSpecialist.objects.filter(clerk=clerk, active=True).values_list("firm_id", flat=True)
        ),
    )


def request_view_of(request: AssistRequest) -> router.RequestView:
    """One request's routing facts (no refusals: for the callback list, which no ring excludes)."""
    return router.RequestView(
        id=request.pk,
        created_at=request.created_at,
        priority=request.priority,
        firm_id=request.firm_id,
        district_id=request.district_id,
        city=request.district.city if request.district is not None else "",
        item_id=request.item_id,
        sector=request.sector,
        language=request.language,
    )
