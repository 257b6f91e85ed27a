"""Signing and verification cost (trust, issue 15): the acceptance step with signing on and off in the same run,
the recognition's verification, and the offline verification of a package of 10 documents of 2 MiB.

    .venv/bin/python bench/signing_bench.py [--cases 200]

It uses its own SQLite file, media, keys and anchors under a temporary directory. Accepting: `--cases` cases are
made ready (submitted, every material checked, identity verified), then accepted one by one through
`services.case_accept`, alternating signing on and off (`cases.services.transitions.step_sign` replaced by a
no-op: the floor), so both series see the same database and machine state. Then one case with 10 PDFs of 2 MiB is
accepted and exported, and `c9verify` checks the package in process (n runs) and as `python -m c9verify` (the
whole command, interpreter start included).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BASE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE))  # run as a script: the project root, for bench.measure

from bench.measure import PYTHON, bench_env, bench_setup, summary  # noqa: E402


def pdf_of(size: int, seed: int) -> bytes:
    head = b"%PDF-1.4\n%" + str(seed).encode() + b"\n1 0 obj<<>>endobj\n"
    tail = b"\ntrailer<<>>\n%%EOF\n"
    return head + b"%" * (size - len(head) - len(tail)) + tail


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    cases = max(20, min(args.cases, 2000))  # bounded
    work = Path(tempfile.mkdtemp(prefix="signing-bench-"))
    bench_setup(bench_env(work))
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction
    from django.utils import timezone

    from c9verify import Registry
    from c9verify.package import verify_package
    from cases import services
    from cases.models import Case
    from cases.services import transitions
    from standards.models import ItemMaterial, ItemVersion, MaterialType
    from tests import factories as f
    from trust.keys import key_create, registry_dict
    from trust.package import case_package

    # After-commit work (the routing message, realtime events) is dropped: the bench times the step's transaction.
    transaction.on_commit = lambda func, using=None, robust=False: None
    key_create(f.HUANGPU)
    key_create(f.SHUSHAN)
    clerk = f.make_user("clerk", code=f.HUANGPU)
    citizen = f.make_user("citizen")
    version = f.make_item()
    # Published as the catalogue's versions are (the factory leaves the time out).
    ItemVersion.objects.filter(pk=version.pk).update(published_at=timezone.now())
    version.refresh_from_db()

    def ready() -> Case:
        return f.record_checks(f.submitted_case(applicant=citizen, version=version), clerk)

    print(f"preparing {cases} cases…", flush=True)
    prepared = [ready() for _ in range(cases + 20)]
    real_sign = transitions.step_sign  # type: ignore[attr-defined]

    def no_sign(case: Any, *, event: Any, actor: Any) -> None:
        return None

    on: list[float] = []
    off: list[float] = []
    for i, case in enumerate(prepared):
        signing = i % 2 == 0
        setattr(transitions, "step_sign", real_sign if signing else no_sign)  # noqa: B010 - the no-op floor
        started = time.perf_counter()
        services.case_accept(case=case, actor=clerk)
        elapsed = (time.perf_counter() - started) * 1000
        if i >= 20:  # the first ten of each: warm-up
            (on if signing else off).append(elapsed)
    setattr(transitions, "step_sign", real_sign)  # noqa: B010

    from django.db import transaction as tx

    from cases.models import CaseEvent
    from trust.models import SignedRecord
    from trust.signing import step_sign
    from trust.verification import case_verify

    class Rollback(Exception):
        pass

    # The signature alone (the record read, signed and inserted), each in a transaction rolled back.
    sign_times = []
    for case in prepared[20:120]:
        event = CaseEvent.objects.filter(case=case, action="accepted").select_related("case").get()
        locked = Case.objects.select_related("accepting_district", "approving_district", "item_version").get(pk=case.pk)
        try:
            with tx.atomic():
                SignedRecord.objects.filter(case=locked, event_seq=event.seq).delete()
                started = time.perf_counter()
                step_sign(locked, event=event, actor=clerk)
                sign_times.append((time.perf_counter() - started) * 1000)
                raise Rollback
        except Rollback:
            pass

    signed_cases = [c for i, c in enumerate(prepared) if i % 2 == 0][10:60]
    verify_times = []
    for case in signed_cases:
        started = time.perf_counter()
        report = case_verify(case, holder=f.SHUSHAN)
        verify_times.append((time.perf_counter() - started) * 1000)
        assert report.ok, [c.message for c in report.failures]

    # A case with 10 documents of 2 MiB.
    size = 2 * 1024 * 1024
    big = f.make_item()
    ItemMaterial.objects.filter(version=big).update(max_size_mb=3)
    ItemMaterial.objects.bulk_create(
        [
            ItemMaterial(
                version=big,
                material_type=MaterialType.objects.get_or_create(code=f"M-BENCH{n}", defaults={"name": f"附件{n}"})[0],
                name=f"附件{n}",
                position=10 + n,
                formats=["pdf"],
                max_size_mb=3,
            )
            for n in range(9)
        ]
    )
    case = services.case_draft_create(applicant=citizen, item_version=big, actor=citizen)
    for n, material in enumerate(big.materials.filter(elicence_exempt=False)):
        upload = SimpleUploadedFile(f"m{n}.pdf", pdf_of(size, n), content_type="application/pdf")
        services.case_material_add(case=case, item_material=material, uploaded_file=upload, actor=citizen)
    case = services.case_submit(case=case, actor=citizen)
    case = f.accept_checked(case, clerk)
    package = work / "package.zip"
    package.write_bytes(case_package(case, holder=f.SHUSHAN))
    registry_file = work / "registry.json"
    import json

    registry_file.write_text(json.dumps(registry_dict()))
    registry = Registry.load(registry_file)
    documents = sum(1 for c in verify_package(package, registry).checks if c.what == "document" and c.ok)
    assert documents == 10, documents
    in_process = []
    for _ in range(args.runs):
        started = time.perf_counter()
        assert verify_package(package, registry).ok
        in_process.append((time.perf_counter() - started) * 1000)
    command = []
    clean_env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO")}
    for _ in range(args.runs):
        started = time.perf_counter()
        subprocess.run(
            [PYTHON, "-m", "c9verify", str(package), str(registry_file)],
            cwd=BASE,
            env=clean_env,
            check=True,
            capture_output=True,
        )
        command.append((time.perf_counter() - started) * 1000)
    floor = []
    for _ in range(args.runs):
        started = time.perf_counter()
        subprocess.run([PYTHON, "-c", "import cryptography.hazmat.primitives.asymmetric.ed25519"], check=True)
        floor.append((time.perf_counter() - started) * 1000)

    print(f"load: {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} cores")
    print(summary("case_accept, signing on", on, width=46))
    print(summary("floor: case_accept, signing off", off, width=46))
    print(summary("step_sign alone (read, sign, insert)", sign_times, width=46))
    print(summary("recognition's verification (case_verify)", verify_times, width=46))
    print(f"package: {package.stat().st_size / 1024 / 1024:.1f} MiB, 10 documents of 2 MiB")
    print(summary("c9verify.verify_package, in process", in_process, width=46))
    print(summary("python -m c9verify package.zip registry.json", command, width=46))
    print(summary("floor: python -c 'import cryptography…'", floor, width=46))
    return 0


if __name__ == "__main__":
    sys.exit(main())
