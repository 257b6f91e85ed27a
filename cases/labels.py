"""Human labels of event actions (translated)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from cases.life_cycle import STEPS

# Events that are not life-cycle steps; the steps' own (submitted, accepted, …) come from their declaration.
ACTION_LABELS = {
    "draft_created": _("Application started"),
    "material_added": _("Material uploaded"),
    "routing_stopped": _("Routing stopped: needs a supervisor"),
    "id_number_revealed": _("Full ID number read"),
    "follow_up_done": _("Bad rating followed up"),
    **{step.action: step.event_label for step in STEPS.values()},
}

# Units of the catalogue's time limits, shown in sentences on the case page.
LIMIT_UNITS = {"working_days": _("working days"), "calendar_days": _("calendar days")}
REQUIREMENTS = {"required": _("Required"), "conditional": _("Conditional")}
