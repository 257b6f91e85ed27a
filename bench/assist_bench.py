"""One-click response benchmarks, each beside the floor measured in the same run.

    .venv/bin/python bench/assist_bench.py                  # everything, default sizes
    .venv/bin/python bench/assist_bench.py --only ring,relay --clicks 100
    .venv/bin/python bench/assist_bench.py --sockets 10000  # idle waiting sockets (bounded, loopback only)

It starts its own private stack in a temporary directory: an embedded Redis on a unix
socket, a fresh SQLite database (or --database-url), one uvicorn process and one Celery
worker (concurrency 1). Nothing touches port 6379 or another helper's database.

Measured:
* floor: bare Redis pub/sub round trip; bare WebSocket echo round trip (websockets server, same host);
* click-to-ring: POST /api/assist/requests/ → the ring frame on the clerk's console socket, with
  200 citizens already waiting (sign-language callers no clerk can take) and 20 clerks signed in;
* signalling relay: citizen → server → clerk → server → citizen over the call socket;
* idle waiting sockets: N citizens' queue sockets held open; server RSS per socket;
* probe: click → first video frame with an auto-accepting aiortc clerk;
* three-way set-up: in a running call of two aiortc members, the clerk's "ring a clerk" (POST
  …/invites/) → the first video frame at the third member (an auto-accepting aiortc clerk of
  蜀山), and → video from both others; floor: two aiortc peers in one process, offer and answer
  handed over in memory, to the first frame;
* live draft update: a clerk's pre-check mark on the shared application (POST …/draft/prechecks/) → the
  citizen's call socket hears `draft.changed` → the citizen's GET …/draft/ returns the new state (what the
  citizen's screen does for materials and marks); and a clerk's change of a form field (POST …/draft/form/)
  → the citizen's call socket receives `draft.changed` carrying the field's new value and who filled it (what
  the citizen's screen shows, without a read); floor: a GET /healthz round trip on the same keep-alive
  connection, between changes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.measure import bench_env  # noqa: E402


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary(values: list[float]) -> str:
    return (
        f"p50 {statistics.median(values):.1f} ms, p99 {pct(values, 99):.1f} ms, "
        f"max {max(values):.1f} ms (n={len(values)})"
    )


def raise_nofile() -> int:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 1_048_576
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))  # children (uvicorn) inherit it
    return target


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# --- floors ---------------------------------------------------------------------------------


async def redis_pubsub_floor(url: str, n: int) -> list[float]:
    import redis.asyncio as aioredis

    client = aioredis.from_url(url)
    pubsub = client.pubsub()
    await pubsub.subscribe("bench.floor")
    await pubsub.get_message(timeout=1)
    times = []
    for i in range(n):
        start = time.perf_counter()
        await client.publish("bench.floor", str(i))
        while True:
            message = await pubsub.get_message(timeout=5)
            if message and message["type"] == "message":
                break
        times.append((time.perf_counter() - start) * 1000)
    await pubsub.aclose()
    await client.aclose()
    return times


ECHO_SERVER = """
import asyncio, sys, websockets
async def echo(ws):
    async for m in ws:
        await ws.send(m)
async def main():
    async with websockets.serve(echo, "127.0.0.1", int(sys.argv[1])):
        await asyncio.Future()
asyncio.run(main())
"""


async def websocket_echo_floor(port: int, n: int) -> list[float]:
    import websockets

    for _ in range(100):
        try:
            socket = await websockets.connect(f"ws://127.0.0.1:{port}/")
            break
        except OSError:
            await asyncio.sleep(0.05)
    times = []
    async with socket:
        for i in range(n):
            start = time.perf_counter()
            await socket.send(json.dumps({"type": "chat", "text": f"m{i}"}))
            await socket.recv()
            times.append((time.perf_counter() - start) * 1000)
    return times


# --- the system -----------------------------------------------------------------------------


def make_waiting(prefix: str, count: int):
    """Sign-language callers: no clerk signs, so they stay in the queue and every routing pass sees them."""
    from django.utils import timezone

    from accounts.models import User
    from helpdesk.models import AssistRequest
    from standards.models import District

    huangpu = District.objects.get(division_code="310101")
    now = timezone.now()
    User.objects.bulk_create(
        [
            User(
                username=f"{prefix}{i}",
                display_name=f"{prefix}{i}",
                password="!",
                role=User.Role.CITIZEN,
                district=huangpu,
            )
            for i in range(count)
        ],
        batch_size=1000,
    )
    users = list(User.objects.filter(username__startswith=prefix).order_by("id"))
    AssistRequest.objects.bulk_create(
        [
            AssistRequest(citizen=u, district=huangpu, language="csl", created_at=now, callback_offered_at=now)
            for u in users
        ],
        batch_size=1000,
    )
    return users


def make_people(*, waiting: int, clerks: int, clickers: int):
    """Users for the run, made in bulk (no password hashing)."""
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from helpdesk.models import ClerkProfile
    from standards.models import District, ServiceWindow

    huangpu = District.objects.get(division_code="310101")
    window = ServiceWindow.objects.get(code="310101-YRD")

    def bulk(prefix: str, count: int, **fields) -> list[User]:
        users = [
            User(username=f"{prefix}{i}", display_name=f"{prefix}{i}", password="!", **fields) for i in range(count)
        ]
        User.objects.bulk_create(users, batch_size=1000)
        return list(User.objects.filter(username__startswith=prefix).order_by("id"))

    clerk_users = bulk("bclerk", clerks, role=User.Role.CLERK, district=huangpu, window=window)
    ClerkProfile.objects.bulk_create([ClerkProfile(clerk=c, languages=["zh"]) for c in clerk_users])
    waiting_users = make_waiting("bwait", waiting)
    click_users = bulk("bclick", clickers, role=User.Role.CITIZEN, district=huangpu)
    tokens = {u.pk: Token.objects.create(user=u).key for u in click_users}
    return clerk_users, waiting_users, click_users, tokens


def session_keys(users) -> dict[int, str]:
    from helpdesk.management.commands.assist_probe import session_key_for

    return {u.pk: session_key_for(u) for u in users}


def post_json(connection, path: str, token: str) -> dict:
    connection.request(
        "POST", path, body=b"{}", headers={"Content-Type": "application/json", "Authorization": f"Token {token}"}
    )
    return json.loads(connection.getresponse().read())


async def click_to_ring(
    http_base: str, ws: str, clerk_keys: list[str], click_users, tokens, clicks: int
) -> list[float]:
    import http.client
    from urllib.parse import urlparse

    import websockets

    from helpdesk.peers import clerk_console

    consoles = [await clerk_console(ws, http_base, key) for key in clerk_keys]
    rings: asyncio.Queue = asyncio.Queue()
    cancelled: asyncio.Queue = asyncio.Queue()

    async def listen(socket):
        try:
            async for raw in socket:
                message = json.loads(raw)
                if message["type"] == "ring":
                    rings.put_nowait((time.perf_counter(), message))
                elif message["type"] == "ring.cancelled":
                    cancelled.put_nowait(message)
        except websockets.ConnectionClosed:
            pass

    listeners = [asyncio.ensure_future(listen(c)) for c in consoles]
    parsed = urlparse(http_base)
    connection = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port)  # keep-alive, like a browser
    times = []
    try:
        for user in click_users[:clicks]:
            token = tokens[user.pk]
            start = time.perf_counter()
            # The POST runs in a thread so that the listeners timestamp the ring when it arrives,
            # even before the HTTP response is back.
            created = await asyncio.to_thread(post_json, connection, "/api/assist/requests/", token)
            rang_at, _ring = await asyncio.wait_for(rings.get(), 15)
            times.append((rang_at - start) * 1000)
            # Leave the queue again: the clerk is freed without penalty for the next click.
            connection.request(
                "POST",
                f"/api/assist/requests/{created['id']}/cancel/",
                body=b"",
                headers={"Authorization": f"Token {token}"},
            )
            connection.getresponse().read()
            await asyncio.wait_for(cancelled.get(), 15)
    finally:
        connection.close()
        for task in listeners:
            task.cancel()
        for console in consoles:
            await console.close()
    return times


def connected_session(citizen, clerk):
    from helpdesk import services
    from helpdesk.models import ClerkProfile, Offer

    ClerkProfile.objects.filter(clerk=clerk).update(status="available", last_heartbeat=None)
    request = services.assist_request_create(citizen=citizen, route=True)
    offer = Offer.objects.filter(request=request, outcome="ringing").first()
    if offer is None:
        raise SystemExit("no clerk was rung: is the clerk available in the citizen's district?")
    return services.assist_offer_accept(offer_id=offer.pk, clerk=offer.clerk)


async def relay_round_trip(
    ws: str, origin: str, session_id: int, citizen_key: str, clerk_key: str, n: int
) -> list[float]:
    import websockets
    from websockets.typing import Origin

    from helpdesk.peers import receive_type, ws_headers

    url = f"{ws}/ws/assist/call/{session_id}/"
    a = await websockets.connect(url, additional_headers=ws_headers(citizen_key), origin=Origin(origin))
    b = await websockets.connect(url, additional_headers=ws_headers(clerk_key), origin=Origin(origin))
    await receive_type(a, "joined")
    await receive_type(b, "joined")
    await receive_type(a, "peer.joined")

    async def echo():
        async for raw in b:
            message = json.loads(raw)
            if message.get("type") == "chat":
                await b.send(json.dumps({"type": "chat", "text": message["text"]}))

    echoer = asyncio.ensure_future(echo())
    times = []
    for i in range(n):
        start = time.perf_counter()
        await a.send(json.dumps({"type": "chat", "text": f"m{i}"}))
        await receive_type(a, "chat", timeout=10)
        times.append((time.perf_counter() - start) * 1000)
    echoer.cancel()
    await a.close()
    await b.close()
    return times


async def idle_sockets(
    ws: str, origin: str, keys: list[tuple[int, str]], server_pid: int, concurrency: int = 50
) -> dict:
    import websockets
    from websockets.typing import Origin

    from helpdesk.peers import ws_headers

    before = rss_kib(server_pid)
    sockets: list = []
    errors = 0
    semaphore = asyncio.Semaphore(concurrency)

    async def open_one(request_id: int, key: str):
        nonlocal errors
        async with semaphore:
            try:
                socket = await websockets.connect(
                    f"{ws}/ws/assist/queue/{request_id}/",
                    additional_headers=ws_headers(key),
                    origin=Origin(origin),
                    open_timeout=60,
                    ping_interval=None,
                )
                json.loads(await asyncio.wait_for(socket.recv(), 60))  # the first queue status
                sockets.append(socket)
            except Exception:  # noqa: BLE001 - counted, reported
                errors += 1

    start = time.perf_counter()
    half = len(keys) // 2
    # Marginal memory: RSS growth between the first and the second half (the first half also pays the
    # one-off growth of the allocator and of Django's caches).
    await asyncio.gather(*(open_one(rid, key) for rid, key in keys[:half]))
    await asyncio.sleep(5)
    middle = rss_kib(server_pid)
    opened_first = len(sockets)
    await asyncio.gather(*(open_one(rid, key) for rid, key in keys[half:]))
    opened = time.perf_counter() - start
    await asyncio.sleep(20)  # hold them idle: sockets the server drops show up here
    alive = sum(1 for s in sockets if s.state.name == "OPEN")
    after = rss_kib(server_pid)
    for chunk in range(0, len(sockets), 500):
        await asyncio.gather(*(s.close() for s in sockets[chunk : chunk + 500]), return_exceptions=True)
    return {
        "requested": len(keys),
        "opened": len(sockets),
        "alive_after_20s": alive,
        "errors": errors,
        "open_seconds": round(opened, 1),
        "server_rss_before_mib": round(before / 1024),
        "server_rss_half_mib": round(middle / 1024),
        "server_rss_after_mib": round(after / 1024),
        "kib_per_socket_overall": round((after - before) / max(1, len(sockets)), 1),
        "kib_per_socket_marginal": round((after - middle) / max(1, len(sockets) - opened_first), 1),
    }


def probe(http: str, ws: str, citizen, clerk, token: str, calls: int) -> list[dict]:
    from helpdesk.management.commands.assist_probe import session_key_for
    from helpdesk.models import AssistRequest, CallSession
    from helpdesk.peers import place_call
    from helpdesk.services import call_session_wrap_up

    results = []
    for _ in range(calls):
        AssistRequest.objects.filter(citizen=citizen, state__in=["waiting", "offered"]).update(state="cancelled")
        result = asyncio.run(
            place_call(
                http_base=http,
                ws_base=ws,
                citizen_token=token,
                citizen_cookie=session_key_for(citizen),
                clerk_cookie=session_key_for(clerk),
                frames=5,
            )
        )
        results.append(result.as_dict())
        call_session_wrap_up(
            session=CallSession.objects.get(pk=result.session_id),
            clerk=clerk,
            notes="bench",
            outcome="resolved",
            then_available=False,
        )
    return results


def three_way(http: str, ws: str, rounds: int) -> dict:
    """Rounds of: a call of two aiortc members (citizen, 黄浦 clerk), then a 蜀山 clerk brought in."""
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from helpdesk.models import ClerkProfile
    from helpdesk.peers import MeshPeer, add_clerk_to_call, clerk_console, two_peers_floor
    from helpdesk.services import call_session_end, call_session_wrap_up
    from standards.models import District, ServiceWindow

    huangpu = District.objects.get(division_code="310101")
    shushan = District.objects.get(division_code="340104")

    def person(name: str, **fields) -> User:
        return User.objects.create(username=name, display_name=name, password="!", **fields)

    # One citizen per round: a citizen's calls a day are limited (ASSIST_REQUESTS_PER_DAY).
    citizens = [person(f"b3citizen{i}", role=User.Role.CITIZEN, district=huangpu) for i in range(rounds)]
    host = person("b3host", role=User.Role.CLERK, district=huangpu, window=ServiceWindow.objects.get(code="310101-YRD"))
    third = person(
        "b3third", role=User.Role.CLERK, district=shushan, window=ServiceWindow.objects.filter(district=shushan).first()
    )
    ClerkProfile.objects.bulk_create([ClerkProfile(clerk=c, languages=["zh"]) for c in (host, third)])
    host_token = Token.objects.create(user=host).key
    keys = session_keys([*citizens, host, third])
    ClerkProfile.objects.exclude(clerk__in=[host, third]).update(status="offline")

    async def one_round(session_id: int, citizen: User) -> dict:
        console = await clerk_console(ws, http, keys[third.pk])
        members = [MeshPeer(ws, http, session_id, keys[citizen.pk]), MeshPeer(ws, http, session_id, keys[host.pk])]
        try:
            for member in members:
                await member.start()
            for member in members:
                await member.frames_from(1)
            result, newcomer = await add_clerk_to_call(
                http_base=http,
                ws_base=ws,
                session_id=session_id,
                host_token=host_token,
                console=console,
                clerk_cookie=keys[third.pk],
                district_code="340104",
            )
            members.append(newcomer)
            return result.as_dict()
        finally:
            for member in members:
                await member.close()
            await console.close()

    runs, floors = [], []
    for citizen in citizens:
        floors.append(asyncio.run(two_peers_floor()))
        session = connected_session(citizen, host)
        runs.append(asyncio.run(one_round(session.pk, citizen)))
        call_session_end(session=session, actor=host)
        call_session_wrap_up(session=session, clerk=host, notes="bench", outcome="resolved", then_available=False)
    return {"runs": runs, "floor_two_aiortc_peers": floors}


def live_draft(http: str, ws: str, changes: int) -> dict:
    """A call whose citizen shared their application; the clerk marks a material again and again."""
    from http import client as http_client
    from urllib.parse import urlparse

    import websockets
    from rest_framework.authtoken.models import Token
    from websockets.typing import Origin

    from accounts.models import User
    from cases.services import case_draft_create
    from helpdesk.models import ClerkProfile
    from helpdesk.peers import receive_type, ws_headers
    from helpdesk.services import call_draft_share, call_session_end
    from standards.models import District, ServiceWindow
    from tests import factories as f

    huangpu = District.objects.get(division_code="310101")
    version = f.with_form(f.make_item(accept_in=("310101",), approve_in=("340104",)))
    citizen = User.objects.create(
        username="bdcitizen", display_name="bdcitizen", password="!", role=User.Role.CITIZEN, district=huangpu
    )
    host = User.objects.create(
        username="bdhost",
        display_name="bdhost",
        password="!",
        role=User.Role.CLERK,
        district=huangpu,
        window=ServiceWindow.objects.get(code="310101-YRD"),
    )
    ClerkProfile.objects.create(clerk=host, languages=["zh"])
    ClerkProfile.objects.exclude(clerk=host).update(status="offline")
    draft = case_draft_create(applicant=citizen, item_version=version, actor=citizen)
    f.upload_required(draft, citizen)
    session = connected_session(citizen, host)
    call_draft_share(session=session, citizen=citizen, case_ref=draft.reference)
    material = draft.materials.current_files().first()
    if material is None:
        raise SystemExit("the draft has no uploaded material to mark")
    tokens = {u.pk: Token.objects.create(user=u).key for u in (citizen, host)}
    citizen_key = session_keys([citizen])[citizen.pk]
    parsed = urlparse(http)

    def connection() -> http_client.HTTPConnection:
        return http_client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port)  # keep-alive

    def call(conn, method: str, path: str, token: str, body: dict | None = None) -> int:
        conn.request(
            method,
            path,
            body=json.dumps(body).encode() if body is not None else None,
            headers={"Content-Type": "application/json", "Authorization": f"Token {token}", "Origin": http},
        )
        response = conn.getresponse()
        response.read()
        return response.status

    async def run() -> dict:
        clerk_conn, citizen_conn = connection(), connection()
        socket = await websockets.connect(
            f"{ws}/ws/assist/call/{session.pk}/", additional_headers=ws_headers(citizen_key), origin=Origin(http)
        )
        await receive_type(socket, "joined")
        pushed, screen, floor, field, field_floor = [], [], [], [], []
        try:
            for _ in range(changes):
                body = {"item_material": material.item_material_id, "verdict": "conforming"}
                start = time.perf_counter()
                status = await asyncio.to_thread(
                    call,
                    clerk_conn,
                    "POST",
                    f"/api/assist/sessions/{session.pk}/draft/prechecks/",
                    tokens[host.pk],
                    body,
                )
                if status != 201:
                    raise SystemExit(f"pre-check answered {status}")
                await receive_type(socket, "draft.changed", timeout=10)
                heard = time.perf_counter()
                await asyncio.to_thread(
                    call, citizen_conn, "GET", f"/api/assist/sessions/{session.pk}/draft/", tokens[citizen.pk]
                )
                shown = time.perf_counter()
                pushed.append((heard - start) * 1000)
                screen.append((shown - start) * 1000)
                floor_start = time.perf_counter()
                await asyncio.to_thread(call, citizen_conn, "GET", "/healthz", tokens[citizen.pk])
                floor.append((time.perf_counter() - floor_start) * 1000)
            # A form field changed by the clerk → its new value at the citizen, in the event itself.
            for n in range(changes):
                value = f"王小明{n}"
                start = time.perf_counter()
                # The clerk's own answer is not waited for: the citizen's socket is timed from the change's start.
                answer = asyncio.ensure_future(
                    asyncio.to_thread(
                        call,
                        clerk_conn,
                        "POST",
                        f"/api/assist/sessions/{session.pk}/draft/form/",
                        tokens[host.pk],
                        {"values": {"name": value}},
                    )
                )
                while True:
                    message = await receive_type(socket, "draft.changed", timeout=10)
                    if (message.get("form") or {}).get("name", {}).get("value") == value:
                        break
                field.append((time.perf_counter() - start) * 1000)
                if await answer != 200:
                    raise SystemExit("filling the form was refused")
                floor_start = time.perf_counter()
                await asyncio.to_thread(call, citizen_conn, "GET", "/healthz", tokens[citizen.pk])
                field_floor.append((time.perf_counter() - floor_start) * 1000)
        finally:
            await socket.close()
            clerk_conn.close()
            citizen_conn.close()
        return {
            "change_to_push": pushed,
            "change_to_screen": screen,
            "floor_http_healthz": floor,
            "field_change_to_state": field,
            "field_floor_http_healthz": field_floor,
        }

    result = asyncio.run(run())
    call_session_end(session=session, actor=host)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="floor,ring,relay,sockets,probe,threeway,draft")
    parser.add_argument("--clicks", type=int, default=200)
    parser.add_argument("--waiting", type=int, default=200)
    parser.add_argument("--clerks", type=int, default=20)
    parser.add_argument("--relay", type=int, default=1000)
    parser.add_argument("--sockets", type=int, default=10000)
    parser.add_argument("--probes", type=int, default=10)
    parser.add_argument("--three-way", type=int, default=30, help="rounds of the three-way set-up")
    parser.add_argument("--draft-changes", type=int, default=200, help="changes of the live draft update")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args()
    only = set(args.only.split(","))
    if args.sockets > 20000:
        parser.error("--sockets is bounded to 20000 on one machine")

    nofile = raise_nofile()
    var_dir = Path(tempfile.mkdtemp(prefix="assist-bench-"))
    os.environ.update(bench_env(var_dir, database_url=args.database_url, redis_url=None, CHANNEL_CAPACITY="1000"))
    os.environ.pop("REDIS_URL", None)
    from govservice import stack

    stack.VAR_DIR = var_dir
    supervisor = stack.Supervisor()
    results: dict = {"nofile": nofile}
    try:
        os.environ["REDIS_URL"] = stack.start_embedded_redis(supervisor, "redis-bench", persist=False)
        import django

        django.setup()
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # this script's own set-up queries, outside any loop
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        sockets = args.sockets if "sockets" in only else 0
        clerks, waiting, clickers, tokens = make_people(
            waiting=args.waiting, clerks=args.clerks, clickers=args.clicks + 2
        )
        port = stack.free_port() if hasattr(stack, "free_port") else None
        if port is None:
            import socket as socket_module

            with socket_module.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
        env = dict(os.environ)
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        supervisor.spawn(
            "celery-worker", stack.celery_worker_args(concurrency=1, hostname=f"bench-{port}@%h"), env=env, quiet=True
        )
        asgi = supervisor.spawn(
            "asgi", stack.asgi_server_args(host="127.0.0.1", port=port, access_log=False), env=env, quiet=True
        )
        http, ws = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"
        stack.wait_for_http(f"{http}/healthz", timeout=120, supervisor=supervisor)
        database = "PostgreSQL" if args.database_url else "SQLite"
        print(f"[bench] stack up on {http} ({database}, var in {var_dir}, embedded Redis); nofile={nofile}", flush=True)

        if "floor" in only:
            results["floor_redis_pubsub"] = asyncio.run(redis_pubsub_floor(os.environ["REDIS_URL"], 1000))
            echo_port = port + 1
            echo = subprocess.Popen([sys.executable, "-c", ECHO_SERVER, str(echo_port)])
            try:
                results["floor_websocket_echo"] = asyncio.run(websocket_echo_floor(echo_port, 1000))
            finally:
                echo.terminate()
                echo.wait(5)
            print("[bench] floor redis pub/sub:", summary(results["floor_redis_pubsub"]), flush=True)
            print("[bench] floor websocket echo:", summary(results["floor_websocket_echo"]), flush=True)
        if "ring" in only:
            from helpdesk.models import AssistRequest

            clerk_keys = list(session_keys(clerks).values())
            waiting_now = AssistRequest.objects.filter(state="waiting").count()
            results["click_to_ring"] = asyncio.run(click_to_ring(http, ws, clerk_keys, clickers, tokens, args.clicks))
            print(
                f"[bench] click-to-ring with {waiting_now} waiting and {len(clerk_keys)} clerks:",
                summary(results["click_to_ring"]),
                flush=True,
            )
        if "relay" in only:
            from helpdesk.models import ClerkProfile

            citizen, clerk = clickers[-1], clerks[0]
            ClerkProfile.objects.exclude(clerk=clerk).update(status="offline")
            session = connected_session(citizen, clerk)
            call_keys = session_keys([citizen, clerk])
            results["relay_round_trip"] = asyncio.run(
                relay_round_trip(ws, http, session.pk, call_keys[citizen.pk], call_keys[clerk.pk], args.relay)
            )
            print("[bench] signalling relay round trip:", summary(results["relay_round_trip"]), flush=True)
            from helpdesk.services import call_session_end

            call_session_end(session=session, actor=clerk)
        if "probe" in only:
            from helpdesk.models import ClerkProfile

            citizen, clerk = clickers[-2], clerks[1]
            ClerkProfile.objects.exclude(clerk=clerk).update(status="offline")
            runs = probe(http, ws, citizen, clerk, tokens[citizen.pk], args.probes)
            results["probe"] = runs
            firsts = [r["time_to_first_frame_ms"] for r in runs]
            print("[bench] probe click-to-first-frame (auto-accepting aiortc clerk):", summary(firsts), flush=True)
            print("[bench] probe time to ring:", summary([r["time_to_ring_ms"] for r in runs]), flush=True)
        if "threeway" in only:
            results["three_way"] = three_way(http, ws, args.three_way)
            runs = results["three_way"]["runs"]
            print(
                "[bench] floor two aiortc peers in one process, to the first frame:",
                summary(results["three_way"]["floor_two_aiortc_peers"]),
                flush=True,
            )
            print(
                "[bench] three-way: ring a clerk → their console rings:",
                summary([r["time_to_ring_ms"] for r in runs]),
                flush=True,
            )
            print(
                "[bench] three-way: ring a clerk → first video frame at the new member:",
                summary([r["first_frame_ms"] for r in runs]),
                flush=True,
            )
            print(
                "[bench] three-way: ring a clerk → video from both others at the new member:",
                summary([r["both_frames_ms"] for r in runs]),
                flush=True,
            )
        if "draft" in only:
            results["live_draft"] = live_draft(http, ws, args.draft_changes)
            figures = results["live_draft"]
            print("[bench] floor GET /healthz round trip:", summary(figures["floor_http_healthz"]), flush=True)
            print(
                "[bench] live draft: mark → draft.changed at the citizen:",
                summary(figures["change_to_push"]),
                flush=True,
            )
            print(
                "[bench] live draft: mark → the citizen's GET of the new state:",
                summary(figures["change_to_screen"]),
                flush=True,
            )
            print(
                "[bench] floor GET /healthz round trip (between field changes):",
                summary(figures["field_floor_http_healthz"]),
                flush=True,
            )
            print(
                "[bench] live draft: clerk's form field change → the new state in the citizen's socket:",
                summary(figures["field_change_to_state"]),
                flush=True,
            )
        if "sockets" in only and sockets:
            from helpdesk.models import AssistRequest

            if sockets > len(waiting):
                make_waiting("bidle", sockets - len(waiting))
            pairs = list(
                AssistRequest.objects.filter(
                    citizen__username__startswith="b", state="waiting", language="csl"
                ).values_list("pk", "citizen_id")[:sockets]
            )
            from accounts.models import User

            users = {u.pk: u for u in User.objects.filter(pk__in=[c for _, c in pairs])}
            socket_keys = session_keys(users.values())
            results["idle_sockets"] = asyncio.run(
                idle_sockets(ws, http, [(rid, socket_keys[cid]) for rid, cid in pairs], asgi.pid)
            )
            print("[bench] idle waiting sockets:", results["idle_sockets"], flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1))
        return 0
    finally:
        supervisor.stop_all()
        shutil.rmtree(var_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
