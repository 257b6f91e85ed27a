# The official PRC public holidays and make-up working days (调休上班) of 2025 and 2026, as published by the
# General Office of the State Council (国务院办公厅):
#   2025: 《国务院办公厅关于2025年部分节假日安排的通知》（国办发明电〔2024〕12号）, 12 November 2024
#   2026: 《国务院办公厅关于2026年部分节假日安排的通知》, 4 November 2025 (published by Xinhua)
# Administrators keep the calendar in the admin (节假日日历) afterwards; a later year gets its own
# migration or is entered there. Idempotent: one row per date, updated in place (update_or_create).

import datetime as dt

from django.db import migrations

HOLIDAY = "holiday"
MAKEUP_WORKDAY = "makeup_workday"


def _days(first, last):
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


D = dt.date
# (first day, last day, name) of each holiday period, then the weekend days worked instead.
PERIODS = {
    2025: [
        (D(2025, 1, 1), D(2025, 1, 1), "元旦"),
        (D(2025, 1, 28), D(2025, 2, 4), "春节"),
        (D(2025, 4, 4), D(2025, 4, 6), "清明节"),
        (D(2025, 5, 1), D(2025, 5, 5), "劳动节"),
        (D(2025, 5, 31), D(2025, 6, 2), "端午节"),
        (D(2025, 10, 1), D(2025, 10, 8), "国庆节、中秋节"),
    ],
    2026: [
        (D(2026, 1, 1), D(2026, 1, 3), "元旦"),
        (D(2026, 2, 15), D(2026, 2, 23), "春节"),
        (D(2026, 4, 4), D(2026, 4, 6), "清明节"),
        (D(2026, 5, 1), D(2026, 5, 5), "劳动节"),
        (D(2026, 6, 19), D(2026, 6, 21), "端午节"),
        (D(2026, 9, 25), D(2026, 9, 27), "中秋节"),
        (D(2026, 10, 1), D(2026, 10, 7), "国庆节"),
    ],
}
MAKEUP_WORKDAYS = {
    2025: [
        (D(2025, 1, 26), "春节调休上班"),
        (D(2025, 2, 8), "春节调休上班"),
        (D(2025, 4, 27), "劳动节调休上班"),
        (D(2025, 9, 28), "国庆节、中秋节调休上班"),
        (D(2025, 10, 11), "国庆节、中秋节调休上班"),
    ],
    2026: [
        (D(2026, 1, 4), "元旦调休上班"),
        (D(2026, 2, 14), "春节调休上班"),
        (D(2026, 2, 28), "春节调休上班"),
        (D(2026, 5, 9), "劳动节调休上班"),
        (D(2026, 9, 20), "国庆节调休上班"),
        (D(2026, 10, 10), "国庆节调休上班"),
    ],
}


def calendar_rows():
    """(date, kind, name) for every day of the calendar above."""
    for year in sorted(PERIODS):
        for first, last, name in PERIODS[year]:
            for day in _days(first, last):
                yield day, HOLIDAY, name
        for day, name in MAKEUP_WORKDAYS[year]:
            yield day, MAKEUP_WORKDAY, name


def load(Holiday):
    """Write the calendar into the Holiday model given (the historical one in a migration)."""
    for day, kind, name in calendar_rows():
        Holiday.objects.update_or_create(date=day, defaults={"kind": kind, "name": name})


def forwards(apps, schema_editor):
    load(apps.get_model("cases", "Holiday"))


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_agent_applications"),
    ]

    # Going back leaves the days in place: they may have been corrected in the admin since,
    # and the calendar is reference data, not schema.
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
