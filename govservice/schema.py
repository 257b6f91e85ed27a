"""OpenAPI: every operation documents the one error shape (govservice.errors.ErrorSerializer).

The schema must describe what the server answers (schemathesis checks it: tests/test_api_schema.py):
- every operation can answer 400 (`govservice/input_guard.py` refuses a NUL byte in any path or query,
  and list filters refuse unknown choices), 401, 403 and 404; writes also 409;
- a field with `default=None` in an answer (a relation that may be missing, e.g. a citizen's window) answers
  null, so it is documented nullable;
- a time of day (`TimeField`) answers `HH:MM[:SS[.ffffff]]`, which is not JSON Schema's `time` format
  (that one needs a UTC offset): it is documented with a pattern instead;
- a model's choice field that may be blank (`blank=True`, e.g. a case's delivery method before it is chosen)
  answers "" even when the serializer shows it read-only, so "" is one of its documented values.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import Direction
from rest_framework import serializers

from govservice.errors import ErrorSerializer

# Reads can be malformed (a bad filter, a NUL byte), refused or not found; writes can also conflict with the state.
_READ_ERRORS = ("400", "401", "403", "404")
_WRITE_ERRORS = ("400", "401", "403", "404", "409")
TIME_OF_DAY_PATTERN = r"^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$"


class AutoSchema(BaseAutoSchema):
    def _get_response_bodies(self, direction: Direction = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        codes = _READ_ERRORS if self.method in ("GET", "HEAD", "OPTIONS") else _WRITE_ERRORS
        for code in codes:
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorSerializer, code, direction=direction)
        return responses

    def _get_serializer_field_meta(self, field: Any, direction: Direction) -> dict[str, Any]:
        meta: dict[str, Any] = super()._get_serializer_field_meta(field, direction)
        answers_null = field.read_only or direction == "response"
        if isinstance(field, serializers.Field) and answers_null and field.default is None:
            meta["nullable"] = True
        return meta

    def _map_serializer_field(
        self, field: Any, direction: Direction, bypass_extensions: bool = False
    ) -> dict[str, Any] | None:
        if direction == "response" and isinstance(field, serializers.ChoiceField) and _model_field_is_blank(field):
            field.allow_blank = True  # DRF drops allow_blank from read-only fields, though they answer ""
        schema: dict[str, Any] | None = super()._map_serializer_field(field, direction, bypass_extensions)
        if schema is not None and schema.get("format") == "time":
            del schema["format"]
            schema["pattern"] = TIME_OF_DAY_PATTERN
        return schema


def _model_field_is_blank(field: serializers.Field[Any, Any, Any, Any]) -> bool:
    """Whether a serializer field reads a model field that may be blank (`blank=True`)."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    source = field.source if isinstance(field.source, str) else ""
    if model is None or not source or "." in source or source == "*":
        return False
    try:
        model_field = model._meta.get_field(source)
    except FieldDoesNotExist:
        return False
    return bool(getattr(model_field, "blank", False))
