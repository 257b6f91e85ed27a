"""Who looked at my case (谁查看了我的办件): staff views recorded after the response, read by the applicant side."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest
from django.contrib.auth.models import Permission
from django.core.signals import request_finished
from django.db import close_old_connections, connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from cases import services, views
from cases.models import Case, CaseMaterial, CaseView
from tests import factories as f

if TYPE_CHECKING:
    from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

pytestmark = pytest.mark.django_db


@pytest.fixture
def routed_case(cast: dict[str, User], django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks) -> Case:
    """The owner's case, accepted in Huangpu and routed to Shushan: both districts may see it."""
    case = f.submitted_case(applicant=cast["owner"], version=f.make_item())
    with django_capture_on_commit_callbacks(execute=False):
        case = f.accept_checked(case, cast["huangpu_clerk"])
    services.case_route(case_id=case.pk, transfer_number=case.transfer_number)
    return Case.objects.get(pk=case.pk)


def pdf(case: Case) -> CaseMaterial:
    material = case.materials.filter(current=True, content_type="application/pdf").first()
    assert material is not None
    return material


def page(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_it_records_a_clerks_look_at_the_case_page_with_role_district_and_time(
    routed_case: Case, cast: dict[str, User]
) -> None:
    clerk = cast["shushan_clerk"]
    response = page(clerk).get(reverse("cases-detail", args=[routed_case.reference]), HTTP_X_REQUEST_ID="look-0001")
    assert response.status_code == 200
    view = CaseView.objects.get(case=routed_case)
    assert (view.viewer, view.viewer_role, view.district_id, view.what, view.via, view.material) == (
        clerk,
        "clerk",
        clerk.district_id,
        "case",
        "page",
        None,
    )
    assert view.request_id == "look-0001"


def test_it_records_each_material_opened_by_staff_on_the_page_and_through_the_api(
    routed_case: Case, cast: dict[str, User]
) -> None:
    material = pdf(routed_case)
    response = page(cast["huangpu_clerk"]).get(reverse("cases-document", args=[routed_case.reference, material.pk]))
    assert response.status_code == 200
    b"".join(response.streaming_content)  # type: ignore[attr-defined]  # closes the response at the end
    through_api = api(cast["supervisor"]).get(f"/api/cases/{routed_case.reference}/materials/{material.pk}/file/")
    assert through_api.status_code == 200
    b"".join(through_api.streaming_content)  # type: ignore[attr-defined]  # closes the response at the end
    rows = list(CaseView.objects.filter(case=routed_case).order_by("id"))
    assert [(r.viewer, r.what, r.material_id, r.via) for r in rows] == [
        (cast["huangpu_clerk"], "material", material.pk, "page"),
        (cast["supervisor"], "material", material.pk, "api"),
    ]
    assert rows[1].district is None  # a supervisor is alliance-wide


def test_it_records_the_case_api_answer_and_the_full_id_number_and_keeps_the_chain_event(
    routed_case: Case, cast: dict[str, User]
) -> None:
    clerk = cast["huangpu_clerk"]
    assert api(clerk).get(f"/api/cases/{routed_case.reference}/").status_code == 200
    clerk.user_permissions.add(Permission.objects.get(codename="view_full_id_number"))
    clerk = User.objects.get(pk=clerk.pk)
    response = api(clerk).get(f"/api/cases/{routed_case.reference}/id-number/")
    assert response.status_code == 200
    assert routed_case.events.filter(action="id_number_revealed", actor=clerk).count() == 1
    assert list(CaseView.objects.filter(case=routed_case).order_by("id").values_list("what", "via")) == [
        ("case", "api"),
        ("id_number", "api"),
    ]


def test_a_refused_reading_of_the_id_number_is_not_recorded_as_a_view(routed_case: Case, cast: dict[str, User]) -> None:
    assert api(cast["huangpu_clerk"]).get(f"/api/cases/{routed_case.reference}/id-number/").status_code == 403
    assert not CaseView.objects.filter(case=routed_case).exists()


@pytest.mark.parametrize("who", ["owner", "colleague"])
def test_the_applicant_sides_own_looks_are_not_recorded(routed_case: Case, cast: dict[str, User], who: str) -> None:
    material = pdf(routed_case)
    assert page(cast[who]).get(reverse("cases-detail", args=[routed_case.reference])).status_code == 200
    response = page(cast[who]).get(reverse("cases-document", args=[routed_case.reference, material.pk]))
    b"".join(response.streaming_content)  # type: ignore[attr-defined]  # closes the response at the end
    assert api(cast[who]).get(f"/api/cases/{routed_case.reference}/").status_code == 200
    assert not CaseView.objects.exists()


def test_the_applicant_reads_who_viewed_in_the_api_with_masked_names_and_no_account_ids(
    routed_case: Case, cast: dict[str, User]
) -> None:
    clerk = cast["shushan_clerk"]
    clerk.display_name = "王小明"
    clerk.save()
    page(clerk).get(reverse("cases-detail", args=[routed_case.reference]))
    response = api(cast["owner"]).get(f"/api/cases/{routed_case.reference}/views/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 1
    (entry,) = body["results"]
    assert entry["viewer"] == "王**" and entry["role"] == "clerk" and entry["district"] == f.SHUSHAN
    assert entry["what"] == "case" and entry["material"] is None and entry["via"] == "page"
    assert "王小明" not in response.content.decode() and str(clerk.pk) not in {str(v) for v in entry.values()}


@pytest.mark.parametrize(("who", "status"), [("huangpu_clerk", 403), ("supervisor", 200), ("gusu_clerk", 404)])
def test_staff_do_not_read_the_list_except_supervisors(
    routed_case: Case, cast: dict[str, User], who: str, status: int
) -> None:
    assert api(cast[who]).get(f"/api/cases/{routed_case.reference}/views/").status_code == status


def test_the_case_page_shows_the_applicant_who_viewed_their_case(routed_case: Case, cast: dict[str, User]) -> None:
    clerk = cast["huangpu_clerk"]
    clerk.display_name = "李华"
    clerk.save()
    material = pdf(routed_case)
    page(clerk).get(reverse("cases-detail", args=[routed_case.reference]))
    response = page(clerk).get(reverse("cases-document", args=[routed_case.reference, material.pk]))
    b"".join(response.streaming_content)  # type: ignore[attr-defined]  # closes the response at the end
    html = page(cast["owner"]).get(reverse("cases-detail", args=[routed_case.reference])).content.decode()
    assert "谁查看了我的办件" in html
    section = html[html.index('id="views-log"') : html.index("</section>", html.index('id="views-log"'))]
    assert section.count("李*") == 2 and "李华" not in section
    assert "窗口人员" in section and "黄浦" in section
    # A clerk's own page has no such section.
    own = page(clerk).get(reverse("cases-detail", args=[routed_case.reference])).content.decode()
    assert 'id="views-log"' not in own


def test_recording_adds_no_statement_before_the_response_and_one_insert_when_it_closes(
    routed_case: Case, cast: dict[str, User]
) -> None:
    """The figure of docs/benchmarks.md: the view's own statements, with and without the record."""
    clerk, owner = cast["shushan_clerk"], cast["owner"]

    def render_for(user: User) -> tuple[int, int, float]:
        request = RequestFactory().get(reverse("cases-detail", args=[routed_case.reference]))
        request.user = user
        with CaptureQueriesContext(connection) as before:
            response = views.case_detail(request, routed_case.reference)
        started = time.perf_counter()
        # As the test client does: the test's connection must survive request_finished.
        request_finished.disconnect(close_old_connections)
        try:
            with CaptureQueriesContext(connection) as after:
                response.close()
        finally:
            request_finished.connect(close_old_connections)
        assert not any("cases_caseview" in q["sql"] and "INSERT" in q["sql"] for q in before.captured_queries)
        return len(before.captured_queries), len(after.captured_queries), time.perf_counter() - started

    render_for(clerk)  # warm caches (templates, content types)
    clerk_before, clerk_after, _ = render_for(clerk)
    assert clerk_after == 1, "one INSERT for the record, after the response"
    assert CaseView.objects.filter(case=routed_case, viewer=clerk).count() == 2
    owner_before, owner_after, _ = render_for(owner)
    assert owner_after == 0, "nothing to write for the applicant"
    assert clerk_before > 0 and owner_before > 0
