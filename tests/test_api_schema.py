"""The OpenAPI schema matches the answers: a short schemathesis run against the live ASGI server.

Positive and negative data (`--mode all`), over every operation but the logout (it would revoke the run's
token), as a signed-in citizen who owns a case, with the response-conformance checks: no server error,
every status code and content type documented, every answer valid against its schema. The checks left out,
and why, are listed in docs/security.md (L16).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token

from tests.conftest import LiveStack
from tests.factories import make_user, submitted_case

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
# The path parameters that name the citizen's own objects, so the run reaches past 404.
CONFIG = """\
[parameters]
"path.reference" = "${C9_CASE_REFERENCE}"
"path.code" = "${C9_ITEM_CODE}"
"""


def test_the_answers_match_the_schema_on_the_live_server(live_stack: LiveStack, tmp_path: Path) -> None:
    citizen = make_user("citizen")
    case = submitted_case(applicant=citizen)
    token = Token.objects.create(user=citizen)
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [
        str(Path(sys.executable).with_name("st")),
        "--config-file",
        str(config),
        "run",
        live_stack.url("/api/schema/?format=json"),
        "--header",
        f"Authorization: Token {token.key}",
        "--checks",
        CHECKS,
        "--mode",
        "all",
        "--phases",
        "fuzzing",  # the coverage phase alone takes 100 s here: over the CI budget
        "--max-examples",
        "12",
        "--exclude-path",
        "/api/auth/logout/",
        "--workers",
        "2",
        "--seed",
        "12",
        "--no-shrink",
        "--request-timeout",
        "20",
    ]
    env = {**os.environ, "C9_CASE_REFERENCE": case.reference, "C9_ITEM_CODE": case.item_version.item.code}
    run = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    report = run.stdout + run.stderr
    assert run.returncode == 0, report[-20000:]
    tested = re.search(r"Tested: (\d+)", report)
    assert tested and int(tested.group(1)) >= 80, report[-3000:]  # every operation was tried
