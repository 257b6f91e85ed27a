"""Refusals at the door: inputs no view can handle answer 400 with the API's error body, never 500.

- A NUL character in the path or the query string: PostgreSQL cannot compare or store it in a text
  column (DataError), so `/cases/C9%00/` was a 500 there and a 404 on SQLite. Refused before any view.
- The safety net for what still reaches the database malformed (a NUL in a form field, a number out of
  the column's range): `django.db.DataError` and `OverflowError` are the input's fault, not the server's,
  so they answer 400 `invalid` (logged as a warning with the path) instead of 500.
- The database going away under a request (PostgreSQL restarted, the connection terminated mid-step):
  `OperationalError`/`InterfaceError` answer 503 `database_unavailable` with `Retry-After: 1`. The step's
  transaction was rolled back by the database, so nothing of it was stored and the client may repeat it;
  the next request opens a new connection (connections are health-checked before reuse).
  Unless something of the request may already be stored: the connection went during a COMMIT (the
  database may have made it durable before it went), or a transaction of the request had committed before
  a later statement failed (the step saved, the answer's reads failed: seen in a PostgreSQL restart,
  tests/test_postgres_restart.py). "Nothing was saved" would then be false, and a blind retry would find
  the step done (409). That answer is 503 `database_outcome_unknown`: look at the case before repeating.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from django.db import DataError, InterfaceError, OperationalError, connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)


def _bad_request(code: str, detail: str) -> JsonResponse:
    response = JsonResponse({"code": code, "detail": detail, "fields": {}}, status=400)
    response["Cache-Control"] = "no-store"
    return response


class InputGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if "\x00" in request.path or "\x00" in request.META.get("QUERY_STRING", "") or _nul_in_query(request):
            return _bad_request("invalid_characters", _("The address contains a NUL character."))
        writes = _Writes()
        request._database_writes = writes  # type: ignore[attr-defined]
        with connection.execute_wrapper(writes):
            return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DataError | OverflowError):
            logger.warning(
                "refused input the database cannot take: %s %s (%s)", request.method, request.path, exception
            )
            return _bad_request("invalid", _("A value in the request cannot be stored or searched for."))
        if isinstance(exception, OperationalError | InterfaceError):
            writes: _Writes | None = getattr(request, "_database_writes", None)
            at_commit = _raised_in_commit(exception.__traceback__)
            unknown = at_commit or (writes is not None and writes.maybe_stored)
            logger.error(
                "the database failed under %s %s%s: %s",
                request.method,
                request.path,
                " (during a commit)" if at_commit else " (after a commit)" if unknown else "",
                exception,
            )
            if unknown:
                body = {
                    "code": "database_outcome_unknown",
                    "detail": _(
                        "The connection to the database was lost while the step was being saved: it may have "
                        "been saved. Look at the case again before repeating the step."
                    ),
                    "fields": {},
                }
            else:
                body = {
                    "code": "database_unavailable",
                    "detail": _("The service is briefly unavailable; nothing was saved. Please try again."),
                    "fields": {},
                }
            response = JsonResponse(body, status=503)
            response["Retry-After"] = "1"
            response["Cache-Control"] = "no-store"
            return response
        return None


def _nul_in_query(request: HttpRequest) -> bool:
    # %00 is decoded only in request.GET (QUERY_STRING keeps it percent-encoded).
    return any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists())


def _raised_in_commit(trace: TracebackType | None) -> bool:
    """Whether the database error came out of the COMMIT (Django's `connection.commit()`, from `atomic`)."""
    commit = BaseDatabaseWrapper._commit.__code__  # type: ignore[attr-defined]  # not in django-stubs
    while trace is not None:
        if trace.tb_frame.f_code is commit:
            return True
        trace = trace.tb_next
    return False


# First words of statements that store nothing by themselves (SQLite's "BEGIN IMMEDIATE" opens `atomic`).
_CHANGES_NOTHING = frozenset({"SELECT", "SHOW", "SET", "BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK"})


@dataclass
class _Writes:
    """What of a request may be stored, as its statements run (a `connection.execute_wrapper`): a transaction
    of the request that committed after it ran statements, or a statement that changes data outside any
    transaction (autocommit: stored when it returns, perhaps even when it fails)."""

    maybe_stored: bool = False

    def _committed(self) -> None:
        self.maybe_stored = True

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        words = sql.lstrip()[:10].split(None, 1)
        if words and words[0].upper() in _CHANGES_NOTHING:
            return execute(sql, params, many, context)
        if connection.in_atomic_block:
            # Once per transaction that changes something: told when (if) the outermost block commits; the
            # callback is dropped with a rollback (of the transaction, or of the savepoint it was made in).
            if not any(callback[1] == self._committed for callback in connection.run_on_commit):
                transaction.on_commit(self._committed)
            return execute(sql, params, many, context)
        try:
            return execute(sql, params, many, context)
        finally:
            self.maybe_stored = True
