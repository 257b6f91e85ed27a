"""The ASGI application with "who viewed my case" recording switched off: the benchmark's control server.

Only bench/viewlog_bench.py starts it (`uvicorn bench.viewlog_off:application`), beside the real
application, so that the same page for the same clerk can be timed with and without the record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from govservice.asgi import application  # sets Django up before the apps' modules are imported

if TYPE_CHECKING:
    from accounts.models import User
    from cases.models import Case


def _never(*, case: Case, viewer: User) -> bool:
    return False


def _switch_off() -> None:
    from cases.services import case_views

    case_views.case_view_is_recorded = _never


_switch_off()

__all__ = ["application"]
