"""The API's JSON parser: DRF's, refusing what would otherwise end in a server error.

- A deeply nested body (`[[[[…]]]]`) made Python's decoder raise RecursionError, which DRF does not
  catch (it maps ValueError only): a 500. Bodies nested deeper than MAX_DEPTH are refused with 400
  `too_deep`; the API's own bodies are a few levels deep.
- A NUL character (`\\u0000`) in a string or key cannot be stored in PostgreSQL's text columns (a
  DataError, a 500 there and not on SQLite): refused with 400 `invalid_characters` on both.

Sizes are limited before parsing, by govservice.body_limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_DEPTH = 32


def check_json_value(data: Any) -> None:
    """Raise ParseError if `data` nests deeper than MAX_DEPTH or holds a NUL character (iteratively)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                raise ParseError(_("The body contains a NUL character."), code="invalid_characters")
            continue
        if isinstance(value, Mapping):
            children: list[Any] = [*value.keys(), *value.values()]
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > MAX_DEPTH:
            raise ParseError(
                _("The body is nested more than %(depth)s levels deep.") % {"depth": MAX_DEPTH}, code="too_deep"
            )
        stack.extend((child, depth + 1) for child in children)


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(
                _("The body is nested more than %(depth)s levels deep.") % {"depth": MAX_DEPTH}, code="too_deep"
            ) from None
        check_json_value(data)
        return data
