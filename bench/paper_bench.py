"""Receipt benchmark: the time to issue a 受理通知书 (render the print view, draw the PDF with WeasyPrint and the
embedded Noto CJK fonts, hash and store it, write it to the case's chain), beside a floor measured in the same run:
WeasyPrint drawing a one-line Chinese page with the same font. Also the SQL statements one issue makes.

    .venv/bin/python bench/paper_bench.py [--documents 40]

It uses its own SQLite file and media folder under a temporary directory and makes the accepted cases through the
services (the worker's task calls `paper_issue` the same way).
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
    parser.add_argument("--documents", type=int, default=40)
    args = parser.parse_args()
    documents = max(10, min(args.documents, 500))  # bounded
    work = Path(tempfile.mkdtemp(prefix="paper-bench-"))
    bench_setup(bench_env(work))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from weasyprint import HTML  # type: ignore[import-untyped]  # no stubs, no py.typed

    from cases import services, tasks
    from cases.models import CaseEvent, PaperKind
    from tests import factories as f

    tasks.issue_paper.delay = lambda *args: None  # type: ignore[method-assign,assignment]  # issued here, not by a worker
    citizen = f.make_user("citizen")
    clerk = f.make_user("clerk", code=f.HUANGPU)
    version = f.make_item()
    cases = []
    for _ in range(documents + 3):
        case = f.submitted_case(applicant=citizen, version=version)
        case = f.accept_checked(case, clerk)
        seq = CaseEvent.objects.get(case=case, action="accepted").seq
        cases.append((case.pk, seq))

    floor_html = '<html lang="zh"><body style="font-family: \'Noto Serif CJK SC\'"><p>受理通知书</p></body></html>'
    issue_times: list[float] = []
    floor_times: list[float] = []
    sizes: list[int] = []
    statements = 0
    for i, (case_id, seq) in enumerate(cases):
        started = time.perf_counter()
        HTML(string=floor_html).write_pdf()
        floor = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        if i == len(cases) - 1:
            with CaptureQueriesContext(connection) as queries:
                paper = services.paper_issue(case_id=case_id, kind=PaperKind.RECEIPT, event_seq=seq)
            statements = len(queries)
        else:
            paper = services.paper_issue(case_id=case_id, kind=PaperKind.RECEIPT, event_seq=seq)
        elapsed = (time.perf_counter() - started) * 1000
        if i >= 3:  # the first three: warm-up (fonts loaded, templates compiled)
            issue_times.append(elapsed)
            floor_times.append(floor)
            sizes.append(paper.size)

    print(f"receipts issued: {len(issue_times)} (sequential, one process); PDF size {min(sizes)}–{max(sizes)} bytes")
    print(summary("issue a 受理通知书 (render, PDF, hash, chain)", issue_times, width=46))
    print(summary("floor: WeasyPrint, one line, same font", floor_times, width=46))
    print(f"SQL statements per issue: {statements}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
