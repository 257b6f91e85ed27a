"""The Celery app: Redis broker, one queue per district plus `default`."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govservice.settings")

app = Celery("govservice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _app_schedules() -> dict[str, Any]:
    # Each app keeps its beat entries beside its tasks (<app>/schedule.py); these modules
    # import only celery.schedules, so they load before Django is set up.
    from cases.schedule import BEAT_SCHEDULE as cases_schedule
    from helpdesk.schedule import BEAT_SCHEDULE as helpdesk_schedule
    from standards.schedule import BEAT_SCHEDULE as standards_schedule
    from trust.schedule import BEAT_SCHEDULE as trust_schedule

    return {**standards_schedule, **cases_schedule, **helpdesk_schedule, **trust_schedule}


# Set directly, not in an on_after_configure handler: the lines above have already configured
# the app, so such a handler never ran and beat had no entries at all. (Settings must not
# define CELERY_BEAT_SCHEDULE: under the CELERY namespace it would win over this.)
app.conf.beat_schedule = _app_schedules()


@worker_process_init.connect
def _keep_worker_connections(**kwargs: Any) -> None:
    # Per pool process: keep the database connection between tasks (see WORKER_CONN_MAX_AGE).
    from django.conf import settings
    from django.db import connections

    for alias in connections:
        connections[alias].settings_dict["CONN_MAX_AGE"] = settings.WORKER_CONN_MAX_AGE
        connections[alias].settings_dict["CONN_HEALTH_CHECKS"] = True


@worker_init.connect
def _checkpoint_sqlite(**kwargs: Any) -> None:
    from govservice.sqlite_wal import start_wal_checkpointer

    start_wal_checkpointer()
