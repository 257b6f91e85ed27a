"""Catalogue search benchmark: p50/p95/p99 of GET /api/items/ end to end through a real uvicorn server,
beside the bare database query and the in-process index, over the full loaded catalogue (≈3300 items).

    .venv/bin/python bench/search_bench.py [--requests 400] [--database var/bench-search.sqlite3]

It migrates and loads the catalogue into its own SQLite file (or uses DATABASE_URL when set), starts
uvicorn on a free loopback port, warms it up (the index is built once), then sends a bounded number
of keep-alive requests cycling through typical queries and filters, one at a time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))  # run as a script: the project root, for bench.measure

from bench.measure import PYTHON, free_port, summary  # noqa: E402

QUERIES: list[dict[str, str]] = [
    {"q": "营业执照"},
    {"q": "公积金提取"},
    {"q": "身份证补办"},
    {"q": "补领身份证"},
    {"q": "社保卡补办"},
    {"q": "驾照丢了怎么办"},
    {"q": "房产证"},
    {"q": "开公司"},
    {"q": "婚姻登记"},
    {"q": "yyzz"},
    {"q": "gjj"},
    {"q": "gonjgijin"},
    {"q": "异地就医"},
    {"q": "公积金", "district": "310101"},
    {"q": "", "growth_stage": "startup", "item_type": "licensing"},
    {"q": "许可", "cross_province_mode": "fully_online", "handling_form": "assisted"},
    {"q": "CODE"},
]
# What a search box sends while someone types, one request per keystroke (after the debounce).
TYPING = [
    "身",
    "身份",
    "身份证",
    "身份证补",
    "身份证补办",
    "g",
    "gj",
    "gjj",
    "开",
    "开公",
    "开公司",
    "社保",
    "社保卡",
    "jiehun",
]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--database", default=str(BASE / "var" / "bench-search.sqlite3"))
    args = parser.parse_args()
    requests = max(16, min(args.requests, 5000))  # bounded
    env = dict(os.environ)
    if not env.get("DATABASE_URL"):
        env["SQLITE_PATH"] = args.database
    env.setdefault("REDIS_URL", "redis://127.0.0.1:1/0")  # search never touches Redis
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE, env=env, check=True)
    subprocess.run([PYTHON, "manage.py", "load_catalogue"], cwd=BASE, env=env, check=True)

    # The bare database query and the index, measured in this process against the same database.
    os.environ.update({k: v for k, v in env.items() if k in ("SQLITE_PATH", "DATABASE_URL", "REDIS_URL")})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govservice.settings")
    import django

    django.setup()
    from standards.models import ItemImplementation, ItemVersion, ServiceItem
    from standards.search import catalogue_search, search_index
    from standards.selectors import in_force_q, today

    code = ServiceItem.objects.order_by("code").values_list("code", flat=True)[40]
    queries = [{**q, "q": code} if q.get("q") == "CODE" else q for q in QUERIES]
    db_times: list[float] = []
    index_times: list[float] = []
    for i in range(min(requests, 400)):
        term = queries[i % len(queries)]["q"] or "许可"
        started = time.perf_counter()
        list(
            ItemVersion.objects.filter(in_force_q(today()), name__contains=term)
            .order_by("item__code")
            .values("item__code", "name", "item_type", "promised_limit")[:20]
        )
        db_times.append((time.perf_counter() - started) * 1000)
    search_index.prepared()
    for i in range(min(requests, 400)):
        q = queries[i % len(queries)]
        search_index._cache.clear()  # measure the search itself, not the result cache
        search_index.prepared()._terms.clear()
        started = time.perf_counter()
        catalogue_search(query=q["q"], **{k: v for k, v in q.items() if k != "q"})[:20]  # type: ignore[arg-type]
        index_times.append((time.perf_counter() - started) * 1000)

    port = free_port()
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "uvicorn",
            "govservice.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=BASE,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                connection.request("GET", "/api/items/?q=warmup")
                connection.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        for q in queries:  # warm up: index built once, code paths loaded
            connection.request("GET", "/api/items/?" + urllib.parse.urlencode(q))
            connection.getresponse().read()
        http_times: list[float] = []
        counts: dict[str, int] = {}
        for i in range(requests):
            q = queries[i % len(queries)]
            path = "/api/items/?" + urllib.parse.urlencode(q)
            started = time.perf_counter()
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
            http_times.append((time.perf_counter() - started) * 1000)
            assert response.status == 200, (response.status, body[:200])
            counts[q.get("q", "")] = json.loads(body)["count"]
        for typed in TYPING:  # warm up the suggestions too
            connection.request("GET", "/api/items/suggest/?" + urllib.parse.urlencode({"q": typed}))
            connection.getresponse().read()
        suggest_times: list[float] = []
        for i in range(requests):
            path = "/api/items/suggest/?" + urllib.parse.urlencode({"q": TYPING[i % len(TYPING)]})
            started = time.perf_counter()
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
            suggest_times.append((time.perf_counter() - started) * 1000)
            assert response.status == 200, (response.status, body[:200])
        floor_times: list[float] = []
        for _ in range(min(requests, 300)):
            started = time.perf_counter()
            connection.request("GET", "/static/standards/standards.css")
            connection.getresponse().read()
            floor_times.append((time.perf_counter() - started) * 1000)
        connection.close()
    finally:
        server.terminate()
        server.wait(timeout=15)

    items = ServiceItem.objects.count()
    implementations = ItemImplementation.objects.count()
    print(
        f"catalogue: {items} items, {implementations} district implementations; queries: {len(queries)} kinds; "
        f"requests: {requests} (sequential, keep-alive)"
    )
    print(summary("GET /api/items/ via uvicorn (end to end)", http_times))
    print(summary("GET /api/items/suggest/ (end to end)", suggest_times))
    print(summary("floor: a static file via the same server", floor_times))
    print(summary("bare DB query (name LIKE, 20 rows)", db_times))
    print(summary("in-memory index search (uncached)", index_times))
    print("hits per query:", ", ".join(f"{k or '(filters)'}={v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
