"""Notice fan-out benchmark: a step's own time with notices on and off, in the same run, and its SQL statements.

The step is 补正 (`case_request_correction`), which tells the applicant by inbox, email and SMS: with notices
on, the step writes the inbox entry and two delivery rows in its transaction and queues one Celery message
after commit (the sending itself is the worker's, not measured here). With notices off, the step's notice hook
does nothing. The two modes alternate case by case, so both see the same machine.

    .venv/bin/python bench/notice_bench.py [--steps 60]

It uses its own SQLite file and an embedded Redis (the real broker: the message is really queued; no worker
takes it) under a temporary directory, and makes the submitted cases through the services.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))  # run as a script: the project root, for bench.measure

from bench.measure import bench_env, bench_setup, summary  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=60)
    args = parser.parse_args()
    steps = max(10, min(args.steps, 500))  # per mode, bounded
    work = Path(tempfile.mkdtemp(prefix="notice-bench-"))

    from govservice import stack

    supervisor = stack.Supervisor()
    try:
        redis_url = stack.start_embedded_redis(supervisor, "bench-redis", persist=False, var_dir=work)
        bench_setup(bench_env(work, redis_url=redis_url))
        return _run(steps)
    finally:
        supervisor.stop_all()


def _run(steps: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cases import services
    from cases.models import Case
    from cases.services import transitions
    from cases.services.case_notices import step_notices
    from notices.models import Notice, NoticeDelivery
    from tests import factories as f

    hooks = vars(transitions)  # the name `_move` calls: the real hook (on) or nothing (off)
    citizen = f.make_user("citizen", email="bench@example.com", phone="13800138000")
    clerk = f.make_user("clerk", code=f.HUANGPU)
    version = f.make_item()

    def ready_case() -> Case:
        case = f.submitted_case(applicant=citizen, version=version)
        upload = case.materials.current_files().first()
        assert upload is not None
        services.case_material_check(
            case=case, material=upload, verdict="not_conforming", reason="复印件不清晰", actor=clerk
        )
        return case

    times: dict[str, list[float]] = {"on": [], "off": []}
    statements: dict[str, int] = {}
    warm_up = 3
    for i in range(warm_up + steps):
        for mode in ("on", "off") if i % 2 == 0 else ("off", "on"):
            case = ready_case()
            hooks["step_notices"] = step_notices if mode == "on" else (lambda *a, **k: None)
            started = time.perf_counter()
            if i == warm_up:
                with CaptureQueriesContext(connection) as queries:
                    services.case_request_correction(case=case, actor=clerk, reason="请按告知补正")
                statements[mode] = len(queries)
            else:
                services.case_request_correction(case=case, actor=clerk, reason="请按告知补正")
            elapsed = (time.perf_counter() - started) * 1000
            if i >= warm_up:
                times[mode].append(elapsed)
    hooks["step_notices"] = step_notices

    print(
        f"steps: {steps} per mode, alternating (sequential, one process, SQLite, embedded Redis); "
        f"notices written {Notice.objects.count()}, deliveries {NoticeDelivery.objects.count()}"
    )
    print(summary("补正 step, notices on (inbox entry, 1 message)", times["on"], width=46))
    print(summary("补正 step, notices off (floor)", times["off"], width=46))
    print(f"SQL statements per step: on {statements['on']}, off {statements['off']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
