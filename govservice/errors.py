"""One error contract for every app.

Services raise `DomainError` (or one of its kinds below) with a stable `code` that clients
may rely on; the API turns every error into one response shape in one place
(`api_exception_handler`, wired in settings' REST_FRAMEWORK):

    {"code": "<stable code>", "detail": "<message in the user's language>", "fields": {"<field>": ["…"]}}

`fields` is empty unless the error is about particular inputs. Pages show `detail` (and the
field messages) with `messages.error`; see `error_messages`.

Django's own `ValidationError` (model `clean()`, validators) and `PermissionDenied`, and DRF's
exceptions (serializer validation, authentication, throttling, 404), are mapped to the same
shape, so a client never has to know which layer refused.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.encoding import force_str
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class DomainError(Exception):
    """A request the domain refuses. Subclasses fix the HTTP status; `code` names the reason."""

    # Annotated as `int`: each kind (and an APIException mapped in `as_domain_error`) sets its own status.
    status_code: int = status.HTTP_400_BAD_REQUEST
    default_code: str = "invalid"

    def __init__(
        self,
        message: Any = "",
        *,
        code: str | None = None,
        fields: dict[str, Any] | None = None,
    ) -> None:
        self.message = force_str(message)
        self.code = code or self.default_code
        self.fields = {name: _as_list(value) for name, value in (fields or {}).items()}
        super().__init__(self.message)

    @property
    def messages(self) -> list[str]:
        """Every message, the general one first (for pages)."""
        out = [self.message] if self.message else []
        for values in self.fields.values():
            out.extend(values)
        return out

    def __str__(self) -> str:
        return self.message or "; ".join(self.messages)


class Invalid(DomainError):
    """Bad input: 400. Give `fields` when the error is about particular inputs."""


class NotAllowed(DomainError):
    """The caller's role or relation to the object does not allow this: 403."""

    status_code = status.HTTP_403_FORBIDDEN
    default_code = "forbidden"


class NotFound(DomainError):
    """The object does not exist or is outside the caller's reach: 404."""

    status_code = status.HTTP_404_NOT_FOUND
    default_code = "not_found"


class Conflict(DomainError):
    """The object's current state does not allow this (or someone else changed it first): 409."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class Unavailable(DomainError):
    """A capacity limit or a part that is down: 503. The client may try again later."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "unavailable"


class TooMany(DomainError):
    """The caller has asked too often (a per-person limit): 429. The client may try again later."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "too_many"


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        out: list[str] = []
        for item in value:
            out.extend(_as_list(item))
        return out
    if isinstance(value, dict):
        return [f"{key}: {msg}" for key, item in value.items() for msg in _as_list(item)]
    return [force_str(value)]


def from_django_validation_error(error: DjangoValidationError) -> Invalid:
    """A Django ValidationError as an `Invalid` (a dict of fields, or a list of general messages)."""
    if hasattr(error, "error_dict"):
        fields = {name: list(messages) for name, messages in error.message_dict.items()}
        general = fields.pop("__all__", [])
        first = general[0] if general else next(iter(v[0] for v in fields.values() if v), "")
        return Invalid(first, fields=fields if not general else {**fields, "__all__": general})
    return Invalid(" ".join(error.messages))


def as_domain_error(error: BaseException) -> DomainError | None:
    """Any error of the domain, Django or DRF as a DomainError; None for anything else (a bug: 500)."""
    if isinstance(error, DomainError):
        return error
    if isinstance(error, DjangoValidationError):
        return from_django_validation_error(error)
    if isinstance(error, DjangoPermissionDenied):
        return NotAllowed(str(error) or _default_detail(exceptions.PermissionDenied))
    if isinstance(error, Http404):
        return NotFound(_default_detail(exceptions.NotFound))
    if isinstance(error, exceptions.ValidationError):
        detail = error.detail
        if isinstance(detail, dict):
            fields = {name: _as_list(value) for name, value in detail.items()}
            general = fields.get("non_field_errors") or fields.get("detail") or []
            message = general[0] if general else next(iter(v[0] for v in fields.values() if v), "")
            return Invalid(message, code="invalid", fields=fields)
        messages = _as_list(detail)
        return Invalid(" ".join(messages), code="invalid")
    if isinstance(error, exceptions.APIException):
        kind = DomainError()
        kind.status_code = error.status_code
        kind.message = force_str(error.detail) if not isinstance(error.detail, list | dict) else ""
        kind.code = _api_code(error)
        kind.fields = {}
        return kind
    return None


def _api_code(error: exceptions.APIException) -> str:
    codes = error.get_codes()
    if isinstance(codes, str):
        return codes
    return error.default_code


def _default_detail(kind: type[exceptions.APIException]) -> str:
    return force_str(kind.default_detail)


def error_body(error: DomainError) -> dict[str, Any]:
    return {"code": error.code, "detail": error.message, "fields": error.fields}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """The one translation of errors into HTTP answers (REST_FRAMEWORK's EXCEPTION_HANDLER)."""
    error = as_domain_error(exc)
    if error is None:
        return None  # not ours: a real server error
    # Let DRF set the headers it knows (WWW-Authenticate, Retry-After) and roll back the atomic block.
    response = drf_exception_handler(exc, context)
    headers = dict(response.items()) if response is not None else {}
    if response is None:
        from rest_framework.views import set_rollback

        set_rollback()
    headers.pop("Content-Type", None)
    return Response(error_body(error), status=error.status_code, headers=headers)


def error_messages(error: BaseException) -> list[str]:
    """What a page shows for an error (messages.error), the general message first."""
    domain = as_domain_error(error)
    if domain is None:
        return [force_str(error)]
    return domain.messages or [force_str(error)]


class ErrorSerializer(serializers.Serializer[Any]):
    """The body of every error answer of the API (documented in the OpenAPI schema)."""

    code = serializers.CharField(help_text="Stable code of the reason, e.g. conflict, forbidden, queue_full.")
    detail = serializers.CharField(help_text="The message, in the user's language.")
    # DRF's metaclass moves declared fields into `_declared_fields`, so this does not replace the
    # `Serializer.fields` property at runtime; the stubs cannot express that.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per input field; empty unless the error is about particular inputs.",
    )
