"""Query strings out of the server's logs: parameter names kept, values replaced.

A query string can carry a secret or a person's data (a recorder's token, an administrator's
search for a phone number). uvicorn writes the path with its query string into the access log
and into its WebSocket lines; `govservice/uvicorn_logging.json` (uvicorn's own logging
configuration plus this filter on both of its handlers) is passed with `--log-config` by
`govservice/stack.py`.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, quote

REDACTED = "[redacted]"
_PATH_WITH_QUERY = re.compile(r"^(/[^?\s]*)\?(.*)$", re.DOTALL)


def redact_query(value: str) -> str:
    """`/api/x?phone=138…&q=abc` -> `/api/x?phone=[redacted]&q=[redacted]`; other text unchanged."""
    match = _PATH_WITH_QUERY.match(value)
    if match is None:
        return value
    path, query = match.groups()
    names = [quote(name, safe="") for name, _value in parse_qsl(query, keep_blank_values=True)]
    if not names:
        return f"{path}?{REDACTED}"
    return path + "?" + "&".join(f"{name}={REDACTED}" for name in names)


class RedactQueryStrings(logging.Filter):
    """Rewrites any argument of a log record that is a path with a query string."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(redact_query(arg) if isinstance(arg, str) else arg for arg in record.args)
        return True
