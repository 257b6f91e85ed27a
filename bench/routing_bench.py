"""Case routing benchmark: throughput and accept-to-arrival latency, beside a no-op Celery round trip.

    .venv/bin/python bench/routing_bench.py                       # SQLite in var/bench/, embedded Redis
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/c9_cases_bench .venv/bin/python bench/routing_bench.py

It migrates its own database (never the development one), starts its own embedded Redis
(var/redis-bench.sock) unless REDIS_URL is set, and starts real Celery workers on the
district queue `district.340104` with `govservice.stack`:

1. no-op round trip: a task that only pushes its send time back on a Redis list (p50/p99);
2. throughput: N accepted cases, their routing messages queued at once, timed until the
   last one has arrived in Shushan's queue (cases/s) — with one worker, then two;
3. latency at fixed offered rates (--rates, default 10 and 100 cases/s): routing messages of
   accepted cases leave at that rate, as the accepting commits would send them; arrival is the
   routing transaction's `routed_at` (p50/p99) — one worker, then two;
4. the accepting service call itself (`case_accept`: lock, checks, deadlines, chain, enqueue).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accounts.models import User
    from standards.models import District, ItemVersion

    # What reference_data() makes: the item version, the applicant, the Huangpu clerk, and the two districts.
    Data = tuple[ItemVersion, User, User, District, District]

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
BENCH_VAR = BASE_DIR / "var" / "bench"
BENCH_VAR.mkdir(parents=True, exist_ok=True)
from bench.measure import bench_env  # noqa: E402

# The bench's own SQLite file and district keys under var/bench (the acceptances are signed: trust); what the
# environment already sets (DATABASE_URL, REDIS_URL, …) wins.
for _name, _value in bench_env(BENCH_VAR, redis_url=None, VAR_DIR=str(BASE_DIR / "var")).items():
    os.environ.setdefault(_name, _value)

from govservice import stack  # noqa: E402

SHUSHAN = "340104"
HUANGPU = "310101"
QUEUE = f"district.{SHUSHAN}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def setup_django(supervisor: stack.Supervisor) -> None:
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = stack.start_embedded_redis(supervisor, "redis-bench", persist=False)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def reference_data() -> Data:
    from accounts.models import User
    from standards.districts import seed_districts
    from standards.models import (
        Department,
        District,
        ItemImplementation,
        ItemVersion,
        Province,
        ServiceItem,
        ServiceWindow,
    )

    seed_districts(Province, District, ServiceWindow)
    huangpu, shushan = District.objects.get(division_code=HUANGPU), District.objects.get(division_code=SHUSHAN)
    code = f"BENCH{uuid.uuid4().hex[:8].upper()}"
    item = ServiceItem.objects.create(code=code)
    version = ItemVersion.objects.create(
        item=item,
        number=1,
        status="published",
        name="基准测试事项",
        item_type="public_service",
        sector="hr_social",
        statutory_limit=20,
        promised_limit=5,
    )
    for district, accept, approve in ((huangpu, True, False), (shushan, False, True)):
        department, _ = Department.objects.get_or_create(
            district=district,
            sector="hr_social",
            defaults={"name": f"{district.name}人社局", "credit_code": f"11{district.division_code}BENCH0000"[:18]},
        )
        ItemImplementation.objects.create(
            item=item,
            district=district,
            department=department,
            window=district.windows.get(code__endswith="YRD"),
            implementation_code=f"{code}-{district.division_code}",
            can_accept=accept,
            can_approve=approve,
        )
    clerk_hp, _ = User.objects.get_or_create(
        username="bench_clerk_huangpu",
        defaults={"role": "clerk", "district": huangpu, "window": huangpu.windows.get(code__endswith="YRD")},
    )
    for n in range(3):
        User.objects.get_or_create(
            username=f"bench_clerk_shushan_{n}",
            defaults={"role": "clerk", "district": shushan, "window": shushan.windows.get(code__endswith="YRD")},
        )
    applicant, _ = User.objects.get_or_create(username="bench_applicant", defaults={"role": "citizen"})
    return version, applicant, clerk_hp, huangpu, shushan


def make_cases(
    n: int, *, state: str, version: ItemVersion, applicant: User, huangpu: District, shushan: District
) -> list[int]:
    from cases import life_cycle
    from cases.models import Case

    # Earlier runs' cases count as the Shushan clerks' load, and nobody reviews them here: close
    # them first (bench database only), so every run routes against a realistic, small load.
    closed = life_cycle.STEPS["close"].target
    Case.objects.filter(reference__contains="BENCH").exclude(state=closed).update(state=closed)

    stamp = uuid.uuid4().hex[:6].upper()
    rows = [
        Case(
            reference=f"C9{HUANGPU}BENCH{stamp}{i:06d}",
            item_version=version,
            applicant=applicant,
            accepting_district=huangpu,
            accepting_window=huangpu.windows.get(code__endswith="YRD"),
            approving_district=shushan,
            state=state,
            transfer_number=1 if state == life_cycle.AWAITING_ROUTING else 0,
        )
        for i in range(n)
    ]
    Case.objects.bulk_create(rows, batch_size=500)
    return list(Case.objects.filter(reference__startswith=f"C9{HUANGPU}BENCH{stamp}").values_list("pk", flat=True))


def start_workers(supervisor: stack.Supervisor, count: int) -> list[str]:
    names = []
    env = {**os.environ, "LOG_LEVEL": "WARNING"}
    for n in range(count):
        name = f"bench-worker-{n}"
        supervisor.spawn(
            name,
            [
                *stack.celery_worker_args(
                    concurrency=1, hostname=f"bench{n}-{uuid.uuid4().hex[:4]}@%h", queues=[QUEUE]
                ),
                "--loglevel",
                "WARNING",
                "--include",
                "bench.worker_tasks",
            ],
            env=env,
            quiet=True,
        )
        names.append(name)
    from govservice.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=0.5) or []
        if sum(1 for reply in replies for host in reply if host.startswith("bench")) >= count:
            return names
    raise SystemExit("bench workers did not start")


def stop_workers(supervisor: stack.Supervisor, names: list[str]) -> None:
    for name in names:
        supervisor.stop(name)


def noop_round_trip(samples: int) -> dict[str, float]:
    import redis
    from django.conf import settings

    from bench.worker_tasks import noop

    client = redis.Redis.from_url(settings.REDIS_URL)
    reply = f"bench-reply-{uuid.uuid4().hex[:8]}"
    times = []
    for _ in range(samples):
        sent = time.perf_counter()
        noop.apply_async(args=(reply, sent), queue=QUEUE)
        client.blpop([reply], timeout=10)
        times.append((time.perf_counter() - sent) * 1000)
        time.sleep(0.005)
    return {"p50_ms": percentile(times, 50), "p99_ms": percentile(times, 99), "samples": samples}


def wait_routed(ids: list[int], timeout: float) -> None:
    from cases.life_cycle import ROUTED
    from cases.models import Case

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Case.objects.filter(pk__in=ids, state=ROUTED).count() == len(ids):
            return
        time.sleep(0.05)
    done = Case.objects.filter(pk__in=ids, state=ROUTED).count()
    raise SystemExit(f"only {done}/{len(ids)} cases routed in {timeout:.0f} s")


def throughput(n: int, data: Data) -> dict[str, float]:
    from django.db.models import Max
    from django.utils import timezone

    from cases.life_cycle import AWAITING_ROUTING
    from cases.models import Case
    from cases.tasks import route_case

    version, applicant, _clerk, huangpu, shushan = data
    ids = make_cases(n, state=AWAITING_ROUTING, version=version, applicant=applicant, huangpu=huangpu, shushan=shushan)
    started = timezone.now()
    for case_id in ids:
        route_case.apply_async(args=(case_id, 1), queue=QUEUE)
    wait_routed(ids, timeout=max(60, n / 10))
    last = Case.objects.filter(pk__in=ids).aggregate(last=Max("routed_at"))["last"]
    seconds = (last - started).total_seconds()
    return {"cases": n, "seconds": round(seconds, 3), "cases_per_s": round(n / seconds, 1)}


def latency_at_rate(n: int, rate: float, data: Data) -> dict[str, float]:
    """Accepted cases whose routing messages leave at a fixed rate, as the accepting commits would
    send them; arrival is the routing transaction's `routed_at`. Same clock (this host)."""
    from cases.life_cycle import AWAITING_ROUTING
    from cases.models import Case
    from cases.tasks import route_case

    version, applicant, _clerk, huangpu, shushan = data
    ids = make_cases(n, state=AWAITING_ROUTING, version=version, applicant=applicant, huangpu=huangpu, shushan=shushan)
    sent_at: dict[int, float] = {}
    interval = 1.0 / rate
    begin = time.perf_counter()
    for i, case_id in enumerate(ids):
        delay = begin + i * interval - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        sent_at[case_id] = time.time()
        route_case.apply_async(args=(case_id, 1), queue=QUEUE)
    offered = n / (time.perf_counter() - begin)
    wait_routed(ids, timeout=max(60, n / 5))
    latencies = [
        (routed.timestamp() - sent_at[case_id]) * 1000
        for case_id, routed in Case.objects.filter(pk__in=ids).values_list("pk", "routed_at")
        if routed is not None  # all of them: wait_routed returned
    ]
    return {
        "cases": n,
        "offered_rate": round(offered, 1),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1),
        "mean_ms": round(statistics.fmean(latencies), 1),
    }


def accept_service_timing(n: int, data: Data) -> dict[str, float]:
    """The accepting side for scale: `case_accept` itself (lock, checks, deadlines, event chain, enqueue)."""
    from cases import services
    from cases.life_cycle import STEPS
    from cases.models import Case

    version, applicant, clerk, huangpu, shushan = data
    ids = make_cases(
        n, state=STEPS["accept"].sources[0], version=version, applicant=applicant, huangpu=huangpu, shushan=shushan
    )
    times = []
    for case in Case.objects.filter(pk__in=ids).order_by("pk"):
        # Acceptance needs the identity check (and a check of each uploaded material: these cases have none);
        # recorded before the clock starts, as a clerk does before accepting.
        services.case_identity_check(case=case, method="id_card_in_person", actor=clerk)
        started = time.perf_counter()
        services.case_accept(case=case, actor=clerk)
        times.append((time.perf_counter() - started) * 1000)
    wait_routed(ids, timeout=max(60, n / 5))
    return {"p50_ms": round(percentile(times, 50), 1), "p99_ms": round(percentile(times, 99), 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1000, help="cases for the throughput run (default 1000)")
    parser.add_argument("--latency-cases", type=int, default=300, help="cases per fixed-rate run (default 300)")
    parser.add_argument("--rates", default="10,100", help="offered rates (cases/s) for the latency runs")
    parser.add_argument("--noop-samples", type=int, default=300)
    parser.add_argument("--workers", default="1,2", help="worker counts to measure, each -c 1 (default 1,2)")
    args = parser.parse_args()

    supervisor = stack.Supervisor()
    results: list[dict[str, Any]] = []
    try:
        setup_django(supervisor)
        from django.db import connection

        data = reference_data()
        print(f"database: {connection.vendor}; broker: {os.environ['REDIS_URL']}", flush=True)
        for workers in [int(w) for w in args.workers.split(",")]:
            names = start_workers(supervisor, workers)
            noop = noop_round_trip(args.noop_samples)
            tput = throughput(args.cases, data)
            print(
                f"workers={workers}  no-op round trip p50 {noop['p50_ms']:.1f} ms p99 {noop['p99_ms']:.1f} ms | "
                f"routing throughput {tput['cases_per_s']} cases/s ({tput['cases']} in {tput['seconds']} s)",
                flush=True,
            )
            for rate in [float(r) for r in args.rates.split(",")]:
                lat = latency_at_rate(args.latency_cases, rate, data)
                results.append({"workers": workers, "noop": noop, "throughput": tput, "latency": lat})
                print(
                    f"workers={workers}  accept→arrival at {lat['offered_rate']}/s offered: p50 {lat['p50_ms']} ms "
                    f"p99 {lat['p99_ms']} ms (max {lat['max_ms']} ms)",
                    flush=True,
                )
            if workers == 1:
                accept = accept_service_timing(100, data)
                print(f"case_accept service call: p50 {accept['p50_ms']} ms p99 {accept['p99_ms']} ms", flush=True)
            stop_workers(supervisor, names)
    finally:
        supervisor.stop_all()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
