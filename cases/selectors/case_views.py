"""Who looked at a case, as the applicant side reads it (PIPL: a person may ask who processed their data).

Staff are shown by a masked name (family name or first letter, then stars), their role and their
district — enough to name the office that looked and to ask it, without handing a clerk's full name to
everyone who has a case there. The full record (the account) stays with the supervisors and the admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.identifiers import mask_person_name
from accounts.models import User
from cases.models import Case, CaseView
from cases.selectors.visibility import case_is_applicant_side
from govservice.errors import NotAllowed


def case_views_readable_by(*, case: Case, user: User | AnonymousUser) -> bool:
    """The applicant side reads who viewed their case; supervisors too (oversight). Clerks do not."""
    if not user.is_authenticated:
        return False
    return case_is_applicant_side(case=case, user=user) or user.role == User.Role.SUPERVISOR


def case_views_for(*, case: Case, user: User | AnonymousUser) -> QuerySet[CaseView]:
    """The staff views of `case`, newest first; NotAllowed for whoever may not read them."""
    if not case_views_readable_by(case=case, user=user):
        raise NotAllowed(_("Only the applicant side may read who viewed this case."))
    return (
        CaseView.objects.filter(case=case)
        .select_related("viewer", "district", "material__item_material")
        .order_by("-viewed_at", "-id")
    )


@dataclass(frozen=True)
class ViewEntry:
    """One row of "who viewed my case", as shown: no account id, a masked name."""

    viewed_at: datetime
    viewer: str
    role: str
    role_label: str
    district: str | None
    district_name: str
    what: str
    what_label: str
    material: int | None
    material_name: str
    via: str


def view_entry(view: CaseView) -> ViewEntry:
    viewer = view.viewer
    role_label = User.Role(view.viewer_role).label if view.viewer_role in User.Role.values else view.viewer_role
    if viewer.is_superuser and view.viewer_role not in (User.Role.CLERK, User.Role.SUPERVISOR):
        role_label = pgettext("case view", "Administrator")
    material_name = ""
    if view.material is not None:
        material_name = view.material.item_material.display_name
    return ViewEntry(
        viewed_at=view.viewed_at,
        viewer=mask_person_name(str(viewer)),
        role=view.viewer_role,
        role_label=str(role_label),
        district=view.district.division_code if view.district is not None else None,
        district_name=view.district.display_name if view.district is not None else "",
        what=view.what,
        what_label=str(view.get_what_display()),
        material=view.material_id,
        material_name=material_name,
        via=view.via,
    )
