"""Template filters of the catalogue: a time limit as words, with the plural the language needs."""

from __future__ import annotations

from django import template
from django.utils.translation import ngettext

from standards.models import ItemVersion

register = template.Library()


@register.filter
def time_limit(days: int | None, unit: str) -> str:
    """`5|time_limit:"working_days"` → "5 working days" / "5 个工作日"; "1 working day" in the singular.

    One phrase per unit, number included, so that no language glues its own counter word to a translated
    unit ("5 个个工作日" once did).
    """
    if days is None:
        return ""
    if unit == ItemVersion.LimitUnit.CALENDAR_DAYS:
        return ngettext("%(count)d calendar day", "%(count)d calendar days", days) % {"count": days}
    return ngettext("%(count)d working day", "%(count)d working days", days) % {"count": days}
