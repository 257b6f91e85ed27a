"""`python -m c9verify package.zip registry.json`: print each check, exit 0 only when all pass."""

from __future__ import annotations

import sys
import zipfile

from c9verify.package import verify_package
from c9verify.registry import Registry


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m c9verify package.zip registry.json", file=sys.stderr)
        return 2
    try:
        registry = Registry.load(argv[1])
        report = verify_package(argv[0], registry)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        print(f"FAIL cannot read the package or the registry: {error}")
        return 1
    print(f"case {report.reference}")
    for check in report.checks:
        print(f"{'ok  ' if check.ok else 'FAIL'} [{check.what}] {check.message}")
    print("VERIFIED" if report.ok else f"NOT VERIFIED: {len(report.failures)} check(s) failed")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
