"""Human labels of event actions (translated)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "draft_created": _("Application started"),
    "material_added": _("Material uploaded"),
    "submitted": _("Submitted"),
    "accepted": _("Accepted (受理)"),
    "not_accepted": _("Not accepted"),
    "correction_requested": _("Correction requested"),
    "transferred": _("Transferred to the approving district"),
    "routing_stopped": _("Routing stopped: needs a supervisor"),
    "recognised": _("Acceptance recognised, review started"),
    "returned": _("Returned to the accepting window"),
    "special_procedure_started": _("Special procedure started (clock stopped)"),
    "special_procedure_ended": _("Special procedure ended"),
    "approved": _("Approved"),
    "refused": _("Refused"),
    "delivered": _("Result delivered"),
    "closed": _("Closed"),
    "rated": _("Rated"),
    "id_number_revealed": _("Full ID number read"),
    "follow_up_done": _("Bad rating followed up"),
}

# Units of the catalogue's time limits, shown in sentences on the case page.
LIMIT_UNITS = {"working_days": _("working days"), "calendar_days": _("calendar days")}
REQUIREMENTS = {"required": _("Required"), "conditional": _("Conditional")}
