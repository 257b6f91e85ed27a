"""The Celery app: Redis broker, one queue per district plus `default`."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "govservice.settings")

app = Celery("govservice")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.conf.imports = ("govservice.tasks",)


@app.on_after_configure.connect
def _merge_app_schedules(sender, **kwargs):
    # Each app keeps its beat entries beside its tasks (<app>/schedule.py).
    from cases.schedule import BEAT_SCHEDULE as cases_schedule
    from helpdesk.schedule import BEAT_SCHEDULE as helpdesk_schedule
    from standards.schedule import BEAT_SCHEDULE as standards_schedule

    sender.conf.beat_schedule = {**standards_schedule, **cases_schedule, **helpdesk_schedule}
