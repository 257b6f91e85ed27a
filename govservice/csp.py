"""The Content-Security-Policy's report endpoint: browsers post what the policy blocked.

The policy is enforced (settings: CONTENT_SECURITY_POLICY): scripts and styles come from static files
only. A report, logged here at WARNING, means a page still holds something inline (a regression) or
someone injected code the browser refused to run.
"""

from __future__ import annotations

import json
import logging

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

logger = logging.getLogger("govservice.csp")
MAX_REPORT_BYTES = 16 * 1024


@csrf_exempt  # browsers post reports without a CSRF token; nothing is changed, only logged
@require_POST
def csp_report(request: HttpRequest) -> HttpResponse:
    raw = request.read(MAX_REPORT_BYTES + 1)
    if len(raw) > MAX_REPORT_BYTES:
        return HttpResponse(status=413)
    try:
        report = json.loads(raw)
    except ValueError:
        return HttpResponse(status=400)
    # report-uri posts {"csp-report": {...}}; the Reporting API posts a list of {"type", "body"}.
    reports = report if isinstance(report, list) else [report]
    for item in reports:
        if not isinstance(item, dict):
            continue
        body = item.get("csp-report") or item.get("body") or item
        if isinstance(body, dict):
            logger.warning(
                "CSP violation: %s blocked %s on %s",
                body.get("violated-directive") or body.get("effectiveDirective") or body.get("effective-directive"),
                body.get("blocked-uri") or body.get("blockedURL"),
                (body.get("document-uri") or body.get("documentURL") or "").split("?", 1)[0],
            )
    return HttpResponse(status=204)
