"""OpenAPI: every operation documents the one error shape (govservice.errors.ErrorSerializer)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.utils import Direction

from govservice.errors import ErrorSerializer

# Reads can be refused or not found; writes can also be invalid or conflict with the state.
_READ_ERRORS = ("401", "403", "404")
_WRITE_ERRORS = ("400", "401", "403", "404", "409")


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
