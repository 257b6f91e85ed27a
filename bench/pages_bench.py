"""The main pages' server time with 3000 items and 10,000 cases loaded (issue 16: p95 ≤ 100 ms).

    .venv/bin/python bench/pages_bench.py --database-url postgres://…/an_empty_database_to_throw_away
        [--requests 60] [--items 3000] [--cases 10000] [--only home,dashboard] [--profile workbench]

It migrates the database given (PostgreSQL: throw it away afterwards), loads the real catalogue
(`load_catalogue`), adds synthetic **bench-only** items up to `--items` (codes `BENCH-…`, names 压测事项…
（基准测试数据）: copies of real items' content, never in the demo or the seed), 10,000 cases spread over the
nine districts, the life cycle's states and the last 30 days, each with its hash-chained events, ratings and the
follow-ups of bad ratings, a citizen with 400 cases, a firm with 300, and one case made through the real services
(uploads, checks, acceptance) whose page is measured. A second run on the same database reuses the data.

Server time is measured **in process** with Django's test client (the whole middleware stack, templates and
SQL; no socket, no ASGI server): each page alternately, one request at a time, after warm-up requests, beside
the floor measured the same way in the same run: `/favicon.ico`, a redirect that goes through the whole
middleware stack and touches neither the database nor a template (`/healthz` pings the Celery worker), and the
sign-in page, the base template with no query of its own (each page's CPU time as a multiple of its own). The SQL
statements of one request of each page are counted with `CaptureQueriesContext` (machine-independent). Prints
the load average before and after. `--profile NAME` prints where one page's time goes instead: its slowest SQL
statements, then cProfile.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))  # run as a script: the project root, for bench.measure

from bench.measure import bench_env, percentile, summary  # noqa: E402

BENCH_TAG = "（基准测试数据）"
# A second floor: a page through the whole stack and the site's base template (header, menu, language and elder
# mode) with no query of its own. Each page's CPU time is also given as a multiple of this page's, a figure that
# moves far less from one machine (or day) to another than milliseconds do.
PAGE_FLOOR = "floor: sign-in page"


def _bench_items(total: int) -> int:
    """Synthetic bench-only items up to `total` items: copies of the real items' content under BENCH- codes."""
    from standards.models import ItemImplementation, ItemMaterial, ItemVersion, ServiceItem

    have = ServiceItem.objects.count()
    missing = total - have
    if missing <= 0:
        return 0
    models = list(
        ItemVersion.objects.filter(status=ItemVersion.Status.PUBLISHED)
        .exclude(item__code__startswith="BENCH-")
        .prefetch_related("materials")
        .order_by("item__code")
    )
    implementations: dict[int, list[ItemImplementation]] = {}
    for impl in ItemImplementation.objects.filter(item__in=[v.item_id for v in models]):
        implementations.setdefault(impl.item_id, []).append(impl)
    start = ServiceItem.objects.filter(code__startswith="BENCH-").count()
    items = ServiceItem.objects.bulk_create(
        [ServiceItem(code=f"BENCH-{start + n:05d}") for n in range(missing)], batch_size=500
    )
    versions: list[ItemVersion] = []
    impls: list[ItemImplementation] = []
    for n, item in enumerate(items):
        model = models[n % len(models)]
        version = ItemVersion(
            **{
                field.attname: getattr(model, field.attname)
                for field in ItemVersion._meta.concrete_fields
                if field.attname not in {"id", "item_id"}
            }
        )
        version.item = item
        version.name = f"压测事项{start + n:05d}·{model.name}{BENCH_TAG}"[:200]
        version.name_en = f"Bench item {start + n:05d} ({model.name_en})"[:200]
        versions.append(version)
        impls.extend(
            ItemImplementation(
                item=item,
                district_id=impl.district_id,
                department_id=impl.department_id,
                window_id=impl.window_id,
                implementation_code=f"{item.code}-{impl.district_id}",
                can_accept=impl.can_accept,
                can_approve=impl.can_approve,
                source_note="基准测试数据",
            )
            for impl in implementations.get(model.item_id, [])
        )
    versions = ItemVersion.objects.bulk_create(versions, batch_size=500)
    materials = []
    for n, version in enumerate(versions):
        for material in models[n % len(models)].materials.all():
            copy = ItemMaterial(
                **{
                    field.attname: getattr(material, field.attname)
                    for field in ItemMaterial._meta.concrete_fields
                    if field.attname not in {"id", "version_id"}
                }
            )
            copy.version = version
            materials.append(copy)
    ItemMaterial.objects.bulk_create(materials, batch_size=1000)
    ItemImplementation.objects.bulk_create(impls, batch_size=1000)
    from standards.generation import catalogue_changed

    catalogue_changed()
    return missing


def _user(username: str, role: str, **fields):
    from accounts.models import User

    user, _ = User.objects.get_or_create(username=username, defaults={"role": role, **fields})
    return user


def _history(n: int, *, others: list[Any]) -> int:
    """`n` ended cases of the three years before the last 30 days (references BENCHH…, bench-only): what a
    service centre's table holds after some years, which the pages over a recent period must not read. No events
    or ratings (no measured page opens an old case); none is the measured citizen's or firm's."""
    from django.db.models import F

    from cases.models import Case, CaseState

    have = Case.objects.filter(reference__startswith="BENCHH").count()
    if have >= n:
        return 0
    from django.utils import timezone

    rng = random.Random(20261130 + have)  # benchmark data, not security
    recent = list(Case.objects.filter(reference__startswith="BENCH").exclude(reference__startswith="BENCHH")[:2000])
    # Ended long ago: the result delivered (and rated, closed), or withdrawn, or not accepted.
    ended = [CaseState.CLOSED, CaseState.RATED, CaseState.DELIVERED, CaseState.WITHDRAWN, CaseState.NOT_ACCEPTED]
    delivered = {CaseState.CLOSED, CaseState.RATED, CaseState.DELIVERED}
    now = timezone.now()
    rows = []
    for k in range(have, n):
        model = recent[k % len(recent)]
        submitted = now - dt.timedelta(days=31, minutes=rng.randrange(3 * 365 * 24 * 60))
        state = rng.choice(ended)
        fields = {
            field.attname: getattr(model, field.attname)
            for field in Case._meta.concrete_fields
            if field.attname not in {"id", "reference", "applicant_id", "firm_id"}
        }
        fields.update(
            state=state,
            submitted_at=submitted,
            accepted_at=submitted + dt.timedelta(hours=2) if state != CaseState.NOT_ACCEPTED else None,
            delivered_at=submitted + dt.timedelta(days=rng.randrange(1, 10)) if state in delivered else None,
            promised_due=(submitted + dt.timedelta(days=rng.randrange(2, 20))).date(),
        )
        rows.append(Case(reference=f"BENCHH{k:09d}", applicant=rng.choice(others), **fields))
    Case.objects.bulk_create(rows, batch_size=2000)
    # Their creation times (auto_now_add sets them to now on insert).
    Case.objects.filter(reference__startswith="BENCHH").update(
        created_at=F("submitted_at"), state_changed_at=F("submitted_at")
    )
    return n - have


def populate(*, items: int, cases: int, history: int = 0) -> dict:
    """The data (reused when already there); returns the people and objects the pages are measured for."""
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Firm
    from cases.models import Case, CaseEvent, CaseState, FollowUp, Rating
    from standards.models import District, ItemImplementation, ItemVersion
    from tests import factories as f

    call_command("load_catalogue", verbosity=0)
    made_items = _bench_items(items)
    districts = list(District.objects.order_by("division_code"))
    people = {
        "many": _user("bench-citizen-many", "citizen", id_number=f.id_number(1), display_name="压测市民"),
        "supervisor": _user("bench-supervisor", "supervisor", display_name="压测督查"),
        "std_admin": _user("bench-std-admin", "standards_admin", is_staff=True, display_name="压测标准管理员"),
    }
    for d in districts:
        people[f"clerk-{d.division_code}"] = _user(
            f"bench-clerk-{d.division_code}",
            "clerk",
            district=d,
            window=f.window(d.division_code),
            display_name=f"压测窗口{d.division_code}",
        )
    firm = Firm.objects.filter(name="压测企业（基准测试数据）").first()
    if firm is None:
        firm = Firm.objects.create(
            name="压测企业（基准测试数据）", credit_code=f.credit_code(4242), growth_stage="growth"
        )
    people["firm"] = _user("bench-firm", "firm", firm=firm, display_name="压测企业代表")
    others = [_user(f"bench-citizen-{n:03d}", "citizen", id_number=f.id_number(100 + n)) for n in range(200)]
    if not Case.objects.filter(reference__startswith="BENCH").exists():
        rng = random.Random(20261129)  # benchmark data, not security
        now = timezone.now()
        # Items each district can accept (so the pages' joins see real rows).
        acceptable = list(
            ItemImplementation.objects.filter(can_accept=True).values_list("district_id", "item_id").distinct()
        )
        version_of = dict(ItemVersion.objects.filter(status=ItemVersion.Status.PUBLISHED).values_list("item_id", "id"))
        by_district: dict[int, list[int]] = {}
        for district_id, item_id in acceptable:
            if item_id in version_of:
                by_district.setdefault(district_id, []).append(version_of[item_id])
        windows = {d.pk: f.window(d.division_code) for d in districts}
        states = [s for s in CaseState.values if s != CaseState.DRAFT]
        rows = []
        for n in range(cases):
            submitted = now - dt.timedelta(minutes=rng.randrange(30 * 24 * 60))
            state = rng.choice(states)
            accepting = rng.choice(districts)
            approving = rng.choice(districts)
            if n < 400:
                applicant, firm_of = people["many"], None
            elif n < 700:
                applicant, firm_of = people["firm"], firm
            else:
                applicant, firm_of = rng.choice(others), None
            delivered = state in {CaseState.DELIVERED, CaseState.CLOSED, CaseState.RATED}
            rows.append(
                Case(
                    reference=f"BENCH{n:010d}",
                    item_version_id=rng.choice(by_district.get(accepting.pk) or list(version_of.values())),
                    applicant=applicant,
                    firm=firm_of,
                    applicant_name="压测申请人",
                    accepting_district=accepting,
                    accepting_window=windows[accepting.pk],
                    approving_district=approving,
                    approving_window=windows[approving.pk],
                    accepting_clerk=people[f"clerk-{accepting.division_code}"] if state != "submitted" else None,
                    state=state,
                    submitted_at=submitted,
                    accepted_at=submitted + dt.timedelta(hours=2),
                    delivered_at=submitted + dt.timedelta(days=rng.randrange(1, 10)) if delivered else None,
                    promised_due=(submitted + dt.timedelta(days=rng.randrange(2, 20))).date(),
                    onsite_visits_made=rng.randrange(0, 2),
                )
            )
        with transaction.atomic():
            made = Case.objects.bulk_create(rows, batch_size=1000)
            events = []
            for case in made:
                assert case.submitted_at is not None
                prev = CaseEvent.GENESIS
                steps = [("submit", "draft", "submitted")]
                if case.state != "submitted":
                    steps.append(("accept", "submitted", "accepted"))
                if case.state not in {"submitted", "accepted"}:
                    steps.append(("bench", "accepted", case.state))
                for seq, (action, before, after) in enumerate(steps, start=1):
                    event = CaseEvent(
                        case=case,
                        seq=seq,
                        action=action,
                        from_state=before,
                        to_state=after,
                        actor=case.applicant if seq == 1 else case.accepting_clerk,
                        actor_role="citizen" if seq == 1 else "clerk",
                        district_code=case.accepting_district.division_code,
                        reason="基准测试数据",
                        created_at=case.submitted_at + dt.timedelta(hours=seq),
                        prev_hash=prev,
                    )
                    event.hash = event.compute_hash()
                    prev = event.hash
                    events.append(event)
            CaseEvent.objects.bulk_create(events, batch_size=2000)
            ratings = Rating.objects.bulk_create(
                [
                    Rating(
                        case=case, rater=case.applicant, score=rng.randrange(1, 6), attitude=5, speed=4, convenience=4
                    )
                    for case in made
                    if case.state == CaseState.RATED
                ],
                batch_size=1000,
            )
            FollowUp.objects.bulk_create(
                [
                    FollowUp(
                        rating=rating,
                        district=rating.case.approving_district,
                        due_on=(now + dt.timedelta(days=rng.randrange(-5, 10))).date(),
                        status=FollowUp.Status.OPEN if rng.random() < 0.7 else FollowUp.Status.DONE,
                    )
                    for rating in ratings
                    if rating.score <= 2
                ],
                batch_size=1000,
            )
    if history:
        _history(history, others=others)
    real = Case.objects.filter(applicant=people["many"]).exclude(reference__startswith="BENCH").first()
    if real is None:
        version = f.make_item()
        clerk = people["clerk-310101"]
        real = f.accept_checked(f.submitted_case(applicant=people["many"], version=version), clerk)
    return {"people": people, "case": real, "made_items": made_items}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True, help="an empty PostgreSQL database to fill (or reuse)")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--items", type=int, default=3000)
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--history", type=int, default=0, help="older ended cases (before the last 30 days)")
    parser.add_argument("--only", default="", help="comma-separated parts of page names")
    parser.add_argument("--profile", default="", help="a part of one page's name: profile it instead")
    args = parser.parse_args()
    requests = max(10, min(args.requests, 1000))
    work = Path(tempfile.mkdtemp(prefix="pages-bench-"))
    os.environ.update(
        bench_env(
            work, database_url=args.database_url, redis_url=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
        )
    )
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()
    data = populate(
        items=max(100, min(args.items, 20000)),
        cases=max(100, min(args.cases, 50000)),
        history=max(0, min(args.history, 500000)),
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # the planner's statistics, as a database in service has them
    from cases.models import Case
    from standards.models import District, ServiceItem

    old = Case.objects.filter(reference__startswith="BENCHH").count()
    print(
        f"data: {ServiceItem.objects.count()} items ({data['made_items']} bench items made now), "
        f"{Case.objects.count()} cases ({old} of them before the last 30 days); "
        f"ready in {time.perf_counter() - started:.1f} s"
    )
    people, case = data["people"], data["case"]
    from govservice.warm import warm_and_freeze

    warm_and_freeze()  # as the server process does once started (govservice/asgi.py)
    one = District.objects.order_by("division_code").first()
    assert one is not None
    clerk = people[f"clerk-{case.accepting_district.division_code}"]
    item_code = case.item_version.item.code
    # name: (user or None, URL)
    targets: dict[str, tuple[Any, str]] = {
        "floor: /favicon.ico redirect": (None, "/favicon.ico"),
        PAGE_FLOOR: (None, "/accounts/login/"),
        "home": (None, "/"),
        "search results 公积金提取": (None, "/items/?q=公积金提取"),
        "suggestion API 身份证": (None, "/api/items/suggest/?q=身份证"),
        "item page": (None, f"/items/{item_code}/"),
        "my cases (400 cases)": (people["many"], "/cases/"),
        "case page, citizen": (people["many"], f"/cases/{case.reference}/"),
        "case page, clerk": (clerk, f"/cases/{case.reference}/"),
        "clerk workbench": (clerk, "/cases/workbench/"),
        "dashboard, all districts": (people["supervisor"], "/supervision/dashboard/"),
        "dashboard, one district": (people["supervisor"], f"/supervision/dashboard/?district={one.division_code}"),
        "follow-ups": (people["supervisor"], "/cases/follow-ups/"),
        "firm space (300 cases)": (people["firm"], f"/cases/firms/{people['firm'].firm_id}/"),
        "firm's cases, 6 apply forms": (people["firm"], "/cases/"),
        "catalogue maintenance list": (people["std_admin"], "/admin/standards/serviceitem/"),
        "helpdesk console": (clerk, "/assist/console/"),
    }
    if args.only:
        wanted = {"floor: /favicon.ico redirect", PAGE_FLOOR, *(name.strip() for name in args.only.split(","))}
        targets = {name: t for name, t in targets.items() if name in wanted or any(w in name for w in wanted)}
    clients: dict[Any, Client] = {}
    for user, _url in targets.values():
        if user not in clients:
            client = Client()
            if user is not None:
                client.force_login(user)
            clients[user] = client
    statements: dict[str, int] = {}
    for name, (user, url) in targets.items():
        client = clients[user]
        for _ in range(3):  # warm-up: caches, the search index, templates
            response = client.get(url)
            assert response.status_code in (200, 301), (name, url, response.status_code)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        statements[name] = len(queries)
    if args.profile:
        import cProfile
        import pstats

        name = next(name for name in targets if args.profile in name)
        user, url = targets[name]
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(10):
            clients[user].get(url)
        profiler.disable()
        print(f"{name}: 10 requests")
        with CaptureQueriesContext(connection) as queries:
            clients[user].get(url)
        print("its statements, slowest first (one request, seconds):")
        for query in sorted(queries.captured_queries, key=lambda q: -float(q["time"]))[:8]:
            print(f"  {query['time']}  {query['sql'][:300]}")
        pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(
            re.escape(f"{BASE}/") + r"(?!\.venv)" if not os.environ.get("PROFILE_ALL") else "", 40
        )
        return 0
    load_before = os.getloadavg()
    times: dict[str, list[float]] = {name: [] for name in targets}
    # The CPU time of this process per request (Python: views, templates, ORM; not PostgreSQL's own work): far less
    # sensitive than the wall time to other work on the machine's cores.
    cpu: dict[str, list[float]] = {name: [] for name in targets}
    for _ in range(requests):
        for name, (user, url) in targets.items():
            begun, begun_cpu = time.perf_counter(), time.process_time()
            response = clients[user].get(url)
            times[name].append((time.perf_counter() - begun) * 1000)
            cpu[name].append((time.process_time() - begun_cpu) * 1000)
            assert response.status_code in (200, 301), (name, response.status_code)
    load_after = os.getloadavg()
    print(
        f"requests: {requests} of each, alternating, one at a time, in process (Django test client), "
        f"{connection.vendor}; load average before {load_before[0]:.2f}, after {load_after[0]:.2f}"
    )
    floor = percentile(times["floor: /favicon.ico redirect"], 95)
    page_floor = percentile(cpu[PAGE_FLOOR], 50)
    for name, values in times.items():
        print(
            f"{summary(name, values, width=32)}  SQL={statements[name]:<3} "
            f"p95-floor={percentile(values, 95) - floor:6.1f}  "
            f"CPU p50={percentile(cpu[name], 50):6.1f} p95={percentile(cpu[name], 95):6.1f} ms "
            f"(CPU p50 = {percentile(cpu[name], 50) / page_floor:5.1f} × the sign-in page's)"
        )
    slow = [name for name, values in times.items() if percentile(values, 95) > 100]
    print("p95 over 100 ms: " + (", ".join(slow) if slow else "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
