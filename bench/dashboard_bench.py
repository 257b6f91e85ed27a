"""The supervisors' dashboard through uvicorn, with 10,000 cases and 3,000 calls over the last 30 days.

    .venv/bin/python bench/dashboard_bench.py [--requests 100] [--cases 10000] [--calls 3000]
        [--database-url postgres://…/an_empty_database_to_throw_away]

It uses its own SQLite file under a temporary directory (or the empty PostgreSQL database given, which it
migrates and fills: throw it away afterwards), bulk-creates the cases (states, districts, ratings
spread over 30 days) and the calls (answered or not, waits from 1 to 60 s), then, through one uvicorn server,
alternates sequential keep-alive requests for the dashboard (default period: 30 days by day, all districts), the
dashboard for one district by week, and the shared stylesheet as the floor (a static file the same server sends).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))  # run as a script: the project root, for bench.measure

from bench.measure import PYTHON, bench_env, bench_setup, free_port, percentile, summary  # noqa: E402


def populate(*, cases: int, calls: int) -> str:
    """The data; returns the supervisor's session cookie."""
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from cases.models import Case, CaseState, Rating
    from helpdesk.models import AssistRequest, CallSession
    from standards.models import District
    from tests import factories as f

    rng = random.Random(20261129)  # benchmark data, not security
    supervisor = f.make_user("supervisor")
    version = f.make_item()
    districts = list(District.objects.all())
    windows = {d.pk: f.window(d.division_code) for d in districts}
    applicants = [f.make_user("citizen") for _ in range(50)]
    clerks = [f.make_user("clerk", code=d.division_code) for d in districts]
    now = timezone.now()
    states = [s for s in CaseState.values if s != CaseState.DRAFT]
    rows = []
    for n in range(cases):
        submitted = now - dt.timedelta(minutes=rng.randrange(30 * 24 * 60))
        state = rng.choice(states)
        delivered = state in {CaseState.DELIVERED, CaseState.CLOSED, CaseState.RATED}
        accepting = rng.choice(districts)
        rows.append(
            Case(
                reference=f"BENCH{n:010d}",
                item_version=version,
                applicant=rng.choice(applicants),
                accepting_district=accepting,
                accepting_window=windows[accepting.pk],
                approving_district=rng.choice(districts),
                state=state,
                submitted_at=submitted,
                accepted_at=submitted + dt.timedelta(hours=2),
                delivered_at=submitted + dt.timedelta(days=rng.randrange(1, 10)) if delivered else None,
                promised_due=(submitted + dt.timedelta(days=5)).date(),
                onsite_visits_made=rng.randrange(0, 2),
            )
        )
    Case.objects.bulk_create(rows, batch_size=1000)
    rated = Case.objects.filter(state=CaseState.RATED).select_related("applicant")
    Rating.objects.bulk_create(
        [
            Rating(
                case=case,
                rater=case.applicant,
                score=rng.randrange(1, 6),
                attitude=5,
                speed=4,
                convenience=4,
            )
            for case in rated
        ],
        batch_size=1000,
    )
    for n in range(calls):
        at = now - dt.timedelta(minutes=rng.randrange(30 * 24 * 60))
        citizen = applicants[n % len(applicants)]
        answered = rng.random() < 0.85
        request = AssistRequest.objects.create(
            citizen=citizen,
            district=rng.choice(districts),
            created_at=at,
            state=AssistRequest.State.DONE if answered else AssistRequest.State.ABANDONED,
            closed_at=at + dt.timedelta(minutes=5),
        )
        if answered:
            wait = rng.uniform(1, 60)
            CallSession.objects.create(
                request=request,
                citizen=citizen,
                clerk=clerks[n % len(clerks)],
                district=request.district,
                started_at=at + dt.timedelta(seconds=wait),
                ended_at=at + dt.timedelta(seconds=wait + 120),
                wait_seconds=wait,
                talk_seconds=120,
                outcome=CallSession.Outcome.RESOLVED,
                rating=rng.randrange(3, 6),
            )
    client = Client()
    client.force_login(supervisor)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--cases", type=int, default=10000)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--database-url", default="", help="an empty PostgreSQL database to fill (default: SQLite)")
    args = parser.parse_args()
    requests = max(10, min(args.requests, 2000))  # bounded
    work = Path(tempfile.mkdtemp(prefix="dashboard-bench-"))
    env = bench_env(work, database_url=args.database_url)
    bench_setup(env)
    started = time.perf_counter()
    cookie = populate(cases=max(100, min(args.cases, 50000)), calls=max(10, min(args.calls, 20000)))
    print(f"data: {args.cases} cases, {args.calls} calls, made in {time.perf_counter() - started:.1f} s")

    from standards.models import District

    one = District.objects.order_by("division_code").first()
    assert one is not None
    targets = {
        "dashboard, 30 days by day": "/supervision/dashboard/",
        "dashboard, one district by week": f"/supervision/dashboard/?grain=week&district={one.division_code}",
        "floor: static stylesheet": "/static/css/app.css",
    }
    port = free_port()
    server = subprocess.Popen(
        [
            *(PYTHON, "-m", "uvicorn", "govservice.asgi:application", "--host", "127.0.0.1", "--port", str(port)),
            *("--no-access-log", "--log-level", "warning"),
        ],
        cwd=BASE,
        env=env,
    )
    times: dict[str, list[float]] = {name: [] for name in targets}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                conn.request("GET", "/static/css/app.css")
                conn.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        warm_up = 5
        for i in range((requests + warm_up) * len(targets)):
            name = list(targets)[i % len(targets)]
            begun = time.perf_counter()
            conn.request("GET", targets[name], headers={"Cookie": cookie})
            response = conn.getresponse()
            body = response.read()
            elapsed = (time.perf_counter() - begun) * 1000
            assert response.status == 200, (name, response.status, body[:200])
            if i >= warm_up * len(targets):
                times[name].append(elapsed)
        conn.close()
    finally:
        server.terminate()
        server.wait(timeout=15)
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(f"requests: {requests} of each (sequential, keep-alive, alternating), {database}, one uvicorn process")
    for name, values in times.items():
        print(summary(name, values, width=34))
    floor = percentile(times["floor: static stylesheet"], 95)
    for name in list(targets)[:2]:
        print(f"{name}: p95 {percentile(times[name], 95):.1f} ms, floor p95 {floor:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
