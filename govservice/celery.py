"""The Celery app: Redis broker, one queue per district plus `default`."""

from __future__ import annotations

import logging
import os
from typing import Any

from celery import Celery
from celery.signals import after_setup_logger, worker_init, worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govservice.settings")

app = Celery("govservice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _app_schedules() -> dict[str, Any]:
    # Each app keeps its beat entries beside its tasks (<app>/schedule.py); these modules
    # import only celery.schedules, so they load before Django is set up.
    from cases.schedule import BEAT_SCHEDULE as cases_schedule
    from helpdesk.schedule import BEAT_SCHEDULE as helpdesk_schedule
    from notices.schedule import BEAT_SCHEDULE as notices_schedule
    from standards.schedule import BEAT_SCHEDULE as standards_schedule
    from trust.schedule import BEAT_SCHEDULE as trust_schedule

    return {**standards_schedule, **cases_schedule, **helpdesk_schedule, **notices_schedule, **trust_schedule}


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


# Celery's own lines about each task: received (worker), succeeded (trace), sent by beat.
_TASK_LOGGERS = ("celery.worker.strategy", "celery.app.trace", "celery.beat")


class RoutineAtDebug(logging.Filter):
    """Celery's INFO lines about the routine beat tasks (sweeps every few seconds) become DEBUG lines: the log
    then says what happened, not that a sweep ran again (three lines every two seconds before; docs/pitfalls.md).
    A failure stays at its level; a routine task that changes something logs that at INFO itself."""

    def __init__(self, routine: set[str]) -> None:
        super().__init__()
        self.routine = routine

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO:
            return True
        args = record.args
        values = args.values() if isinstance(args, dict) else args if isinstance(args, tuple) else ()
        if not any(isinstance(value, str) and value in self.routine for value in values):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def routine_task_names() -> set[str]:
    """The beat entries' names and their tasks' names."""
    schedule = app.conf.beat_schedule or {}
    return {*schedule, *(entry["task"] for entry in schedule.values())}


@after_setup_logger.connect
def _routine_tasks_at_debug(**kwargs: Any) -> None:
    routine = RoutineAtDebug(routine_task_names())
    for name in _TASK_LOGGERS:
        logging.getLogger(name).addFilter(routine)
