"""What a hostile or careless client sends, through the real server (uvicorn): a clear 4xx, never a 500.

Each test here failed before its fix (issue 12): bodies of any size were read and parsed, deeply nested
JSON, naive or impossible date-times and (on PostgreSQL) a NUL in the address answered 500, a client's
own X-Request-ID of any shape went into the audit chain, and personal answers carried no Cache-Control.
"""

from __future__ import annotations

import http.client
import json
import re
import select
import socket
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token

from accounts.models import User
from cases.models import Case
from tests import factories as f

if TYPE_CHECKING:
    from tests.conftest import LiveStack

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MB = 1024 * 1024


def http_connection(live_stack: LiveStack) -> http.client.HTTPConnection:
    parts = urlsplit(live_stack.http_url)
    return http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)


def request(
    live_stack: LiveStack,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    conn = http_connection(live_stack)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def token_for(user: User) -> dict[str, str]:
    token, _ = Token.objects.get_or_create(user=user)
    return {"Authorization": f"Token {token.key}"}


def session_cookie_for(user: User) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    return {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}


def error(body: bytes) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(body)
    assert set(parsed) == {"code", "detail", "fields"}, parsed
    return parsed


def post_in_pieces(
    live_stack: LiveStack, path: str, *, pieces: int, headers: dict[str, str], declared: int | None = None
) -> tuple[int, dict[str, Any]]:
    """POST `pieces` MB of JSON-ish bytes, with a Content-Length (`declared`) or chunked, a megabyte at a time,
    and stop sending as soon as the server answers (as a browser does): its status and error body."""
    parts = urlsplit(live_stack.http_url)
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=30) as sock:
        head = [f"POST {path} HTTP/1.1", f"Host: {parts.netloc}", "Content-Type: application/json"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        head.append(f"Content-Length: {declared}" if declared is not None else "Transfer-Encoding: chunked")
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        piece = b"[" * MB
        for _ in range(pieces):
            if select.select([sock], [], [], 0.05)[0]:
                break  # the server has answered
            try:
                sock.sendall(piece if declared is not None else b"%x\r\n%s\r\n" % (len(piece), piece))
            except (BrokenPipeError, ConnectionResetError):
                break
        answer = sock.makefile("rb")
        status = int(answer.readline().split()[1])
        length = 0
        while (line := answer.readline().strip()) != b"":
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        return status, error(answer.read(length))


def test_a_json_body_over_the_limit_is_refused_with_413_before_it_is_read(live_stack: LiveStack) -> None:
    # Anonymous, 40 MB to the token endpoint; signed in, 60 MB to the cases API: the server answers at once.
    status, body = post_in_pieces(live_stack, "/api/auth/token/", pieces=40, declared=40 * MB, headers={})
    assert (status, body["code"]) == (413, "request_too_large")
    citizen = f.make_user("citizen")
    status, body = post_in_pieces(live_stack, "/api/cases/", pieces=60, declared=60 * MB, headers=token_for(citizen))
    assert (status, body["code"]) == (413, "request_too_large")


def test_a_chunked_body_is_cut_off_at_the_limit(live_stack: LiveStack) -> None:
    citizen = f.make_user("citizen")
    status, body = post_in_pieces(live_stack, "/api/cases/", pieces=40, headers=token_for(citizen))
    assert (status, body["code"]) == (413, "request_too_large")


def test_uploads_keep_their_own_limit_and_small_bodies_pass(live_stack: LiveStack) -> None:
    citizen = f.make_user("citizen")
    status, _, body = request(
        live_stack,
        "POST",
        "/api/cases/",
        body=json.dumps({"item_version": 0}).encode(),
        headers={"Content-Type": "application/json", **token_for(citizen)},
    )
    assert status == 400 and "item_version" in error(body)["fields"]
    # A multipart body larger than the JSON limit is not cut off here (its files have their own limits).
    boundary = "c9boundary"
    multipart = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + b"\0" * (12 * MB)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    status, _, body = request(
        live_stack,
        "POST",
        "/api/cases/",
        body=multipart,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}", **token_for(citizen)},
    )
    assert status == 400 and error(body)["code"] == "invalid"


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        b'{"principal": {"name": ' + b"[" * 35 + b'"deep"' + b"]" * 35 + b"}}",
    ],
    ids=["array", "object", "just-too-deep"],
)
def test_deeply_nested_json_answers_400(live_stack: LiveStack, body: bytes) -> None:
    citizen = f.make_user("citizen")
    for path, headers in (("/api/cases/", token_for(citizen)), ("/api/auth/token/", {})):
        status, _, answer = request(
            live_stack, "POST", path, body=body, headers={"Content-Type": "application/json", **headers}
        )
        assert status == 400, (path, answer[:200])
        assert error(answer)["code"] == "too_deep"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("start=2026-11-01T00:00", "start"),  # naive
        ("end=2026-02-30T00:00%2B08:00", "end"),  # impossible
        ("end=2026-11-29T25:00Z", "end"),  # impossible
        ("start=yesterday", "start"),  # not a date-time
        ("start=2026-11-29T00:00Z&end=2026-11-28T00:00Z", "start"),  # the wrong way round
    ],
)
def test_the_period_figures_answer_400_for_a_bad_date_time(live_stack: LiveStack, query: str, field: str) -> None:
    supervisor = f.make_user("supervisor")
    status, _, body = request(live_stack, "GET", f"/api/assist/figures/period/?{query}", headers=token_for(supervisor))
    assert status == 400, body[:300]
    assert field in error(body)["fields"]
    status, _, _ = request(
        live_stack,
        "GET",
        "/api/assist/figures/period/?start=2026-11-01T00:00:00%2B08:00&end=2026-11-29T00:00:00Z",
        headers=token_for(supervisor),
    )
    assert status == 200


@pytest.mark.parametrize(
    "path",
    [
        "/cases/C9%00/",
        "/api/items/%00/",
        "/api/cases/?state=%00",
        "/items/?q=a%00b",
        "/api/items/?q=%00",
        "/assist/r/1%00/",
    ],
)
def test_a_nul_byte_in_the_address_answers_400(live_stack: LiveStack, path: str) -> None:
    citizen = f.make_user("citizen")
    status, _, body = request(live_stack, "GET", path, headers=token_for(citizen) | session_cookie_for(citizen))
    assert status == 400, body[:300]
    assert error(body)["code"] == "invalid_characters"


def test_a_nul_in_a_json_string_answers_400(live_stack: LiveStack) -> None:
    citizen = f.make_user("citizen")
    body = json.dumps({"item_version": 1, "principal": {"id_number": f.id_number(3), "name": "王\u0000五"}}).encode()
    status, _, answer = request(
        live_stack, "POST", "/api/cases/", body=body, headers={"Content-Type": "application/json", **token_for(citizen)}
    )
    assert status == 400 and error(answer)["code"] == "invalid_characters"


def test_ids_out_of_any_range_answer_4xx(live_stack: LiveStack) -> None:
    huge = str(2**70)
    citizen = f.make_user("citizen")
    auth = token_for(citizen)
    for method, path, body in (
        ("GET", f"/api/assist/requests/{huge}/", None),
        ("GET", f"/api/assist/sessions/{huge}/", None),
        ("POST", "/api/cases/", json.dumps({"item_version": int(huge)}).encode()),
        ("POST", "/api/cases/", json.dumps({"item_version": huge}).encode()),
        ("GET", f"/api/cases/?page={huge}", None),
    ):
        status, _, answer = request(
            live_stack, method, path, body=body, headers={"Content-Type": "application/json", **auth}
        )
        assert status in (400, 404), (path, answer[:200])
        error(answer)


def test_a_malformed_x_request_id_never_reaches_the_audit_chain(live_stack: LiveStack) -> None:
    citizen = f.make_user("citizen")
    item = f.make_item()
    sent_ids = (("approved.by_director", False), ("ab\tcdefgh", False), ("x" * 65, False), ("c9-1234abcd", True))
    for sent, kept in sent_ids:
        status, headers, body = request(
            live_stack,
            "POST",
            "/api/cases/",
            body=json.dumps({"item_version": item.pk}).encode(),
            headers={"Content-Type": "application/json", "X-Request-ID": sent, **token_for(citizen)},
        )
        assert status == 201, body[:300]
        case = Case.objects.get(reference=json.loads(body)["reference"])
        stored = case.events.get(action="draft_created").request_id
        assert headers["x-request-id"] == stored
        if kept:
            assert stored == sent
        else:
            assert stored != sent and re.fullmatch(r"[0-9a-f]{32}", stored)


def test_personal_answers_are_private_and_not_stored_public_ones_and_static_files_untouched(
    live_stack: LiveStack,
) -> None:
    citizen = f.make_user("citizen")
    case = f.submitted_case(applicant=citizen)
    for path, auth in (
        ("/api/me/", token_for(citizen)),
        (f"/api/cases/{case.reference}/", token_for(citizen)),
        (f"/cases/{case.reference}/", session_cookie_for(citizen)),
        ("/cases/", session_cookie_for(citizen)),
        ("/", session_cookie_for(citizen)),
    ):
        status, headers, _ = request(live_stack, "GET", path, headers=auth)
        assert status == 200, path
        directives = {d.strip() for d in headers.get("cache-control", "").split(",")}
        assert {"private", "no-store"} <= directives, (path, headers.get("cache-control"))
    status, headers, _ = request(live_stack, "GET", "/items/")
    assert status == 200 and "no-store" not in headers.get("cache-control", "")
    status, headers, _ = request(live_stack, "GET", "/static/css/app.css", headers=session_cookie_for(citizen))
    assert status == 200 and "no-store" not in headers.get("cache-control", "")


@pytest.mark.postgres
def test_a_nul_in_a_form_field_answers_400_on_postgresql() -> None:
    """The safety net: what reaches PostgreSQL with a NUL (a page's form field) is the input's fault, not a 500."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite stores a NUL; only PostgreSQL refuses it")
    citizen = f.make_user("citizen")
    case = f.submitted_case(applicant=citizen)
    client = Client(raise_request_exception=False)
    client.force_login(citizen)
    response = client.post(f"/cases/{case.reference}/do/withdraw/", {"reason": "改\x00主意"})
    assert response.status_code == 400
    assert error(response.content)["code"] == "invalid"
    assert Case.objects.get(pk=case.pk).state == "submitted"
