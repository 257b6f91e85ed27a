"""The one set of factories for every app's tests, and the fixed cast of users (see `cast`).

Small and explicit: the districts and windows come from the data migration; items are made by hand
here (independent of the demo catalogue loader). Users get no password hash (PBKDF2 per user would
make every cast slow): tests sign in with `force_login`, or pass `password=` where a real login form
is driven.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
import uuid
from typing import TYPE_CHECKING, Any

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.identifiers import id_number_check_digit, uscc_check_char
from accounts.models import Firm, FirmSpecialist, User
from standards.models import (
    Department,
    District,
    ItemImplementation,
    ItemMaterial,
    ItemVersion,
    MaterialType,
    ServiceItem,
    ServiceWindow,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from cases.models import Case

HUANGPU = "310101"
SHUSHAN = "340104"
GUSU = "320508"
LUYANG = "340103"
CHONGCHUAN = "320613"

_counter = itertools.count(1)

# Smallest valid files of each kind, recognised by their bytes.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6300010000000500010d0a2db40000000049454e44ae426082"
)

T0 = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


class Clock:
    """The time tests pass as `now=`; advance it like a stopwatch."""

    def __init__(self, start: dt.datetime = T0) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> dt.datetime:
        self.now += dt.timedelta(seconds=seconds)
        return self.now


# --- files ---------------------------------------------------------------------------------------


def pdf_upload(name: str = "id-card.pdf", size: int | None = None) -> SimpleUploadedFile:
    data = PDF_BYTES if size is None else PDF_BYTES + b"0" * (size - len(PDF_BYTES))
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def fake_pdf_upload() -> SimpleUploadedFile:
    # Named .pdf, but plain text inside: must be refused by its bytes.
    return SimpleUploadedFile("contract.pdf", b"just some text pretending", content_type="application/pdf")


# --- places and identifiers ------------------------------------------------------------------------


def district(code: str) -> District:
    return District.objects.get(division_code=code)


def window(code: str, kind: str = "YRD") -> ServiceWindow:
    return ServiceWindow.objects.get(code=f"{code}-{kind}")


def id_number(seed: int) -> str:
    first17 = f"31010119900101{seed % 1000:03d}"
    return first17 + id_number_check_digit(first17)


def credit_code(seed: int) -> str:
    first17 = f"91310101MA1{seed % 1000000:06d}"
    return first17 + uscc_check_char(first17)


def department(code: str, sector: str = "hr_social") -> Department:
    n = next(_counter)
    dept, _ = Department.objects.get_or_create(
        district=district(code),
        sector=sector,
        defaults={
            "name": f"{district(code).name}部门{n}",
            "credit_code": credit_code(900000 + int(code[-3:]) * 10 + n % 10)[:18],
        },
    )
    return dept


# --- people -----------------------------------------------------------------------------------------


def make_user(
    role: str = "citizen",
    *,
    code: str | None = None,
    firm: Firm | None = None,
    password: str | None = None,
    **extra: Any,
) -> User:
    """A user of a role; a clerk sits at the YRD window of `code` (Huangpu by default)."""
    n = next(_counter)
    fields: dict[str, Any] = {
        "username": f"{role}-{n}-{uuid.uuid4().hex[:4]}",
        "role": role,
        "display_name": f"{role}{n}",
    }
    if role == "clerk":
        fields.update(district=district(code or HUANGPU), window=window(code or HUANGPU))
    elif code:
        fields["district"] = district(code)
    if role == "citizen":
        fields["id_number"] = id_number(n)
    if role == "firm":
        fields["firm"] = firm or make_firm()
    fields.update(extra)
    user = User(**fields)
    if password:
        user.set_password(password)
    user.save()
    return user


def make_citizen(*, code: str | None = HUANGPU, name: str = "市民", firm: Firm | None = None) -> User:
    """A citizen (or, with `firm`, a firm representative) living in `code`, with a phone number."""
    n = next(_counter)
    return make_user(
        "firm" if firm else "citizen",
        code=code,
        firm=firm,
        display_name=f"{name}{n}",
        phone="13800000000",
    )


def make_clerk(
    code: str = HUANGPU,
    *,
    status: str | None = None,
    idle_since: dt.datetime | None = None,
    sectors: list[str] | None = None,
    languages: list[str] | None = None,
) -> User:
    """A clerk with a helpdesk profile (presence, skills); offline unless `status` says otherwise."""
    from helpdesk.models import ClerkProfile

    n = next(_counter)
    clerk = make_user("clerk", code=code, display_name=f"店小二{n}")
    ClerkProfile.objects.create(
        clerk=clerk,
        status=status or ClerkProfile.Status.OFFLINE,
        idle_since=idle_since,
        last_heartbeat=idle_since,
        sectors=sectors or [],
        languages=languages or [],
    )
    return clerk


def make_firm(code: str | None = None, *, growth_stage: str = "startup") -> Firm:
    """A firm with a valid credit code, registered in `code` when given."""
    n = next(_counter)
    return Firm.objects.create(
        name=f"测试企业{n}",
        credit_code=credit_code(n + int(uuid.uuid4().int % 100000)),
        growth_stage=growth_stage,
        registered_district=district(code) if code else None,
    )


def make_specialist(firm: Firm, clerk: User) -> FirmSpecialist:
    # A specialist serves in their clerk's district (a required column): make the clerk with make_clerk().
    assert clerk.district is not None, f"{clerk} has no district"
    return FirmSpecialist.objects.create(firm=firm, district=clerk.district, clerk=clerk)


def make_cast() -> dict[str, User]:
    """The fixed cast of access-control tests: an owner, a colleague, outsiders who must see nothing,
    the clerks of the accepting (Huangpu), approving (Shushan) and an unrelated district (Gusu), a
    supervisor and a standards administrator."""
    firm = make_firm(growth_stage="startup")
    return {
        "owner": make_user("firm", firm=firm, id_number=id_number(777)),
        "colleague": make_user("firm", firm=firm),
        "other_firm": make_user("firm"),
        "citizen": make_user("citizen"),
        "agent": make_user("citizen"),
        "huangpu_clerk": make_user("clerk", code=HUANGPU),
        "shushan_clerk": make_user("clerk", code=SHUSHAN),
        "gusu_clerk": make_user("clerk", code=GUSU),
        "supervisor": make_user("supervisor"),
        "standards_admin": make_user("standards_admin"),
    }


# --- the catalogue ----------------------------------------------------------------------------------


def make_item(
    *,
    accept_in: tuple[str, ...] = (HUANGPU,),
    approve_in: tuple[str, ...] = (SHUSHAN,),
    promised: int = 5,
    statutory: int = 20,
    unit: str = "working_days",
    onsite_visits: int = 2,
    growth_stages: list[str] | None = None,
    for_legal_person: bool = True,
    sector: str = "hr_social",
    elicence_material: bool = True,
    agent_materials: bool = False,
    for_natural_person: bool = True,
    competent_district_rule: str = "applicant_choice",
) -> ItemVersion:
    """An item accepted in Huangpu and approved in Shushan by default, with two materials.

    `competent_district_rule`: how the standard names the approving district among `approve_in`
    (with one district and the applicant's choice, that one).

    With agent_materials, also the two the catalogue lists "when someone else applies on the applicant's
    behalf": the power of attorney (AGENT_AUTH) and the agent's ID card (AGENT_ID, electronic licence).
    """
    n = next(_counter)
    item = ServiceItem.objects.create(code=f"T{uuid.uuid4().hex[:10].upper()}")
    version = ItemVersion.objects.create(
        item=item,
        number=1,
        # Materials belong to the draft; the version is published once they are in place.
        status=ItemVersion.Status.DRAFT,
        name=f"养老保险关系转移接续{n}",
        name_en=f"Pension transfer {n}",
        item_type=ItemVersion.ItemType.PUBLIC_SERVICE,
        sector=sector,
        for_legal_person=for_legal_person,
        for_natural_person=for_natural_person,
        statutory_limit=statutory,
        promised_limit=promised,
        limit_unit=unit,
        onsite_visits=onsite_visits,
        growth_stages=growth_stages or [],
        competent_district_rule=competent_district_rule,
    )
    id_card, _ = MaterialType.objects.get_or_create(
        code="M-IDCARD", defaults={"name": "居民身份证", "elicence_name": "居民身份证电子证照"}
    )
    form, _ = MaterialType.objects.get_or_create(code="M-FORM", defaults={"name": "申请表"})
    ItemMaterial.objects.create(
        version=version,
        material_type=form,
        name="申请表",
        name_en="Application form",
        position=1,
        formats=["pdf", "jpg", "png"],
        max_size_mb=1,
    )
    ItemMaterial.objects.create(
        version=version,
        material_type=id_card,
        name="居民身份证",
        name_en="ID card",
        position=2,
        formats=["pdf", "jpg"],
        max_size_mb=1,
        source=ItemMaterial.Source.ELICENCE,
        elicence_exempt=elicence_material,
    )
    if agent_materials:
        power_of_attorney, _ = MaterialType.objects.get_or_create(
            code="AGENT_AUTH", defaults={"name": "授权委托书", "name_en": "Power of attorney"}
        )
        agent_id, _ = MaterialType.objects.get_or_create(
            code="AGENT_ID",
            defaults={
                "name": "经办人身份证件",
                "name_en": "Identity document of the agent",
                "elicence_name": "居民身份证电子证照",
            },
        )
        ItemMaterial.objects.create(
            version=version,
            material_type=power_of_attorney,
            name="授权委托书",
            name_en="Power of attorney",
            position=3,
            requirement=ItemMaterial.Requirement.CONDITIONAL,
            condition="委托他人代为办理的",
            formats=["pdf", "jpg"],
            max_size_mb=1,
        )
        ItemMaterial.objects.create(
            version=version,
            material_type=agent_id,
            name="经办人身份证件",
            name_en="Identity document of the agent",
            position=4,
            requirement=ItemMaterial.Requirement.CONDITIONAL,
            condition="委托他人代为办理的",
            formats=["pdf", "jpg"],
            max_size_mb=1,
            source=ItemMaterial.Source.ELICENCE,
            elicence_exempt=True,
        )
    ItemVersion.objects.filter(pk=version.pk).update(
        status=ItemVersion.Status.PUBLISHED, effective_from=dt.date(2024, 1, 1)
    )
    version.refresh_from_db()
    for code in sorted(set(accept_in) | set(approve_in)):
        ItemImplementation.objects.create(
            item=item,
            district=district(code),
            department=department(code, sector),
            window=window(code),
            implementation_code=f"{item.code}-{code}",
            can_accept=code in accept_in,
            can_approve=code in approve_in,
        )
    return version


def make_item_version(*, sector: str = "housing_fund", name: str = "住房公积金转移接续") -> ItemVersion:
    """A bare published version (no materials, no implementations): enough for a helpdesk request's context."""
    n = next(_counter)
    item = ServiceItem.objects.create(code=f"TEST-{n:05d}")
    return ItemVersion.objects.create(
        item=item,
        number=1,
        status=ItemVersion.Status.PUBLISHED,
        name=name,
        item_type="public_service",
        sector=sector,
        statutory_limit=20,
        promised_limit=10,
    )


# --- cases ------------------------------------------------------------------------------------------


def upload_required(case: Case, actor: User) -> None:
    from cases.services import case_material_add

    for material in case.item_version.materials.filter(elicence_exempt=False):
        case_material_add(case=case, item_material=material, uploaded_file=pdf_upload(), actor=actor)


def submitted_case(*, applicant: User | None = None, version: ItemVersion | None = None) -> Case:
    from cases.services import case_draft_create, case_submit

    applicant = applicant or make_user("citizen")
    version = version or make_item()
    case = case_draft_create(applicant=applicant, item_version=version, actor=applicant)
    upload_required(case, applicant)
    return case_submit(case=case, actor=applicant)


# --- browsers ---------------------------------------------------------------------------------------


def goto(page: Page, url: str, *, attempts: int = 3) -> None:
    """`page.goto`, again when the page's own live reload interrupted it.

    A case page reloads itself shortly after an event about its case (static/cases/live.js); a test that opens
    the same page in that instant sees its navigation "interrupted by another navigation" or aborted. The page a
    person sees is the same either way: only the test's navigation is retried."""
    from playwright.sync_api import Error as PlaywrightError

    for attempt in range(attempts):
        try:
            page.goto(url)
            return
        except PlaywrightError as error:
            interrupted = "interrupted by another navigation" in str(error) or "ERR_ABORTED" in str(error)
            if attempt == attempts - 1 or not interrupted:
                raise
            page.wait_for_load_state()


def close_console(page: Page, clerk: User, timeout: float = 15.0) -> None:
    """Close a clerk's browser and wait until the server has handled the console socket's close.

    The close handler writes (declines a ring, goes offline, audits) in its own transaction; a
    test that ended while it ran would have its database flushed under it, and on PostgreSQL the
    flush's TRUNCATE and that transaction can deadlock.
    """
    from helpdesk.models import ClerkProfile

    page.context.close()
    deadline = time.monotonic() + timeout
    while ClerkProfile.objects.filter(clerk=clerk).exclude(status=ClerkProfile.Status.OFFLINE).exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"the console of {clerk} did not go offline in {timeout:.0f} s")
        time.sleep(0.05)


# --- typed access -----------------------------------------------------------------------------------


def firm_of(user: User) -> Firm:
    """A firm representative's firm (the type checker's `Firm | None`, narrowed; fails a test without one)."""
    if user.firm is None:
        raise AssertionError(f"{user} represents no firm")
    return user.firm


# --- the accepting window's checks ------------------------------------------------------------------


def record_checks(case: Case, clerk: User, *, method: str = "id_card_in_person") -> Case:
    """形式审查 and 身份核验 as a clerk of the accepting district records them: every current upload of the
    case checked as conforming, the identity verified in person. What acceptance needs; returns the case."""
    from cases.services import case_identity_check, case_material_check

    for material in case.materials.current_files():
        case_material_check(case=case, material=material, verdict="conforming", actor=clerk)
    case_identity_check(case=case, method=method, actor=clerk)
    return case


def accept_checked(case: Case, clerk: User) -> Case:
    """受理 after the checks it needs (record_checks), by a clerk of the accepting district."""
    from cases.services import case_accept

    return case_accept(case=record_checks(case, clerk), actor=clerk)


def make_elderly_citizen(*, code: str | None = HUANGPU) -> User:
    """A citizen born in 1945 by their ID number: elderly, the priority the helpdesk can verify."""
    citizen = make_citizen(code=code, name="老人")
    first17 = f"31010119450307{next(_counter) % 1000:03d}"
    citizen.id_number = first17 + id_number_check_digit(first17)
    citizen.save(update_fields=["id_number"])
    return citizen


# --- the application form (standards.forms) ---------------------------------------------------------

# A made-up test form (not any real item's): one field of each kind the cases' checks treat differently.
SAMPLE_FORM = [
    {"key": "name", "label": "姓名", "label_en": "Name", "kind": "text", "required": True, "max_length": 20},
    {"key": "id_number", "label": "公民身份号码", "label_en": "ID number", "kind": "id_number", "required": True},
    {"key": "phone", "label": "联系电话", "label_en": "Phone", "kind": "phone", "required": True},
    {"key": "born", "label": "出生日期", "label_en": "Date of birth", "kind": "date"},
    {"key": "household", "label": "户籍人口数", "label_en": "People in the household", "kind": "number"},
    {
        "key": "kind",
        "label": "申请类别",
        "label_en": "Kind of application",
        "kind": "choice",
        "choices": [
            {"value": "new", "label": "新办", "label_en": "New"},
            {"value": "renew", "label": "换领", "label_en": "Renewal"},
        ],
    },
    {"key": "address", "label": "现居住地址", "label_en": "Current address", "kind": "address"},
    {"key": "note", "label": "备注", "label_en": "Notes", "kind": "long_text", "help": "可不填", "help_en": "Optional"},
]


def with_form(version: ItemVersion, fields: list[dict[str, Any]] | None = None) -> ItemVersion:
    """Give a (published) test version an application form, past the guard that keeps published versions."""
    ItemVersion.objects.filter(pk=version.pk).update(
        application_form=SAMPLE_FORM if fields is None else fields, application_form_source="测试用表单"
    )
    version.refresh_from_db()
    return version
