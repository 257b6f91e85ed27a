"""我的材料 (issue 16 item 1): a citizen's earlier files picked for a new draft instead of uploading again (a checked
copy on the new case's own chain), a page listing them with preview and removal from the list (the cases keep them)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import User
from cases import selectors, services
from cases.chain import chain_verify
from cases.models import Case, CaseEvent, CaseMaterial
from govservice.errors import Conflict, Invalid, NotFound
from standards.models import ItemMaterial, ItemVersion
from tests import factories as f

pytestmark = pytest.mark.django_db


def first_material(version: ItemVersion) -> ItemMaterial:
    material = version.materials.filter(elicence_exempt=False).order_by("position").first()
    assert material is not None
    return material


@pytest.fixture
def earlier(citizen: User, item: ItemVersion) -> Case:
    """A case the citizen submitted, with their uploads."""
    return f.submitted_case(applicant=citizen, version=item)


@pytest.fixture
def draft(citizen: User) -> Case:
    return services.case_draft_create(applicant=citizen, item_version=f.make_item(), actor=citizen)


def test_an_earlier_file_is_listed_once_and_reused_as_a_checked_copy_on_the_new_case(
    citizen: User, earlier: Case, draft: Case
) -> None:
    mine = selectors.my_materials(citizen)
    assert len(mine) == 1  # one file, however many of the case's materials it was uploaded for
    entry = mine[0]
    assert entry.references == [earlier.reference]
    target = first_material(draft.item_version)
    added = services.case_material_reuse(case=draft, item_material=target, source_id=entry.material.pk, actor=citizen)
    assert added.case == draft and added.current and added.item_material == target
    assert added.sha256 == entry.sha256 and added.file.name != entry.material.file.name  # a copy of its own
    assert added.file.read() == f.PDF_BYTES
    event = CaseEvent.objects.filter(case=draft).order_by("-seq").first()
    assert event is not None and event.data["from_my_materials"] is True and event.data["sha256"] == entry.sha256
    assert chain_verify(case=draft).ok
    # The earlier case is untouched; the file is now in both cases.
    assert CaseMaterial.objects.filter(case=earlier, current=True).count() == 2
    assert sorted(selectors.my_materials(citizen)[0].references) == sorted([earlier.reference, draft.reference])


def test_a_reused_file_is_checked_against_the_new_items_standard(citizen: User, earlier: Case, draft: Case) -> None:
    target = first_material(draft.item_version)
    type(target).objects.filter(pk=target.pk).update(formats=["jpg", "png"])  # a standard asking for images
    target.refresh_from_db()
    assert selectors.my_materials_for(citizen, [target]) == {target.pk: []}  # not offered
    source = selectors.my_materials(citizen)[0].material
    with pytest.raises(Invalid):
        services.case_material_reuse(case=draft, item_material=target, source_id=source.pk, actor=citizen)
    assert not draft.materials.exists()


def test_only_ones_own_intact_files_can_be_reused(citizen: User, earlier: Case, draft: Case) -> None:
    source = selectors.my_materials(citizen)[0].material
    target = first_material(draft.item_version)
    stranger = f.make_user("citizen")
    strangers_draft = services.case_draft_create(applicant=stranger, item_version=draft.item_version, actor=stranger)
    with pytest.raises(NotFound):
        services.case_material_reuse(case=strangers_draft, item_material=target, source_id=source.pk, actor=stranger)
    with open(source.file.path, "ab") as handle:  # the stored file changed on disk
        handle.write(b"tampered")
    with pytest.raises(Conflict):
        services.case_material_reuse(case=draft, item_material=target, source_id=source.pk, actor=citizen)


def test_removing_takes_the_file_off_the_list_only_and_a_new_upload_lists_it_again(
    citizen: User, earlier: Case, draft: Case
) -> None:
    entry = selectors.my_materials(citizen)[0]
    uploads = CaseMaterial.objects.filter(case=earlier, current=True, sha256=entry.sha256).count()
    assert services.my_material_remove(user=citizen, sha256=entry.sha256) == uploads  # every upload of it
    assert selectors.my_materials(citizen) == []
    assert CaseMaterial.objects.filter(case=earlier, current=True, sha256=entry.sha256).count() == uploads  # kept
    target = first_material(draft.item_version)
    with pytest.raises(NotFound):
        services.case_material_reuse(case=draft, item_material=target, source_id=entry.material.pk, actor=citizen)
    with pytest.raises(NotFound):
        services.my_material_remove(user=citizen, sha256=entry.sha256)
    services.case_material_add(case=draft, item_material=target, uploaded_file=f.pdf_upload(), actor=citizen)
    again = selectors.my_materials(citizen)
    assert [e.references for e in again] == [[draft.reference]]


def test_the_page_lists_previews_and_removes_and_is_for_applicants_only(
    citizen: User, earlier: Case, huangpu_clerk: User
) -> None:
    client = Client()
    client.force_login(citizen)
    page = client.get(reverse("cases-my-materials")).content.decode()
    entry = selectors.my_materials(citizen)[0]
    assert "我的材料" in page and earlier.reference in page and "id-card.pdf" in page
    preview = reverse("cases-document", args=[earlier.reference, entry.material.pk])
    assert f'href="{preview}"' in page
    assert client.get(preview).status_code == 200  # through the authorised view
    response = client.post(reverse("cases-my-material-remove"), {"sha256": entry.sha256}, follow=True)
    assert "已从我的材料中删除" in response.content.decode()
    assert earlier.reference not in client.get(reverse("cases-my-materials")).content.decode()
    clerk = Client()
    clerk.force_login(huangpu_clerk)
    assert clerk.get(reverse("cases-my-materials")).status_code == 403


def test_the_draft_page_offers_my_files_beside_each_material_and_uses_the_chosen_one(
    citizen: User, earlier: Case, draft: Case
) -> None:
    client = Client()
    client.force_login(citizen)
    target = first_material(draft.item_version)
    page = client.get(reverse("cases-detail", args=[draft.reference])).content.decode()
    assert f'data-reuse="{target.pk}"' in page and "或从我的材料中选择" in page
    assert 'data-reuse="' not in client.get(reverse("cases-detail", args=[earlier.reference])).content.decode()
    source = selectors.my_materials(citizen)[0].material
    response = client.post(
        reverse("cases-material-reuse", args=[draft.reference]), {"item_material": target.pk, "source": source.pk}
    )
    assert response.status_code == 302 and response["Location"].endswith(f"#material-{target.pk}")
    assert draft.materials.filter(item_material=target, current=True, sha256=source.sha256).exists()
