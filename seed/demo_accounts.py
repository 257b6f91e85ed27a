"""Demo accounts: one per role, a clerk at every district's zone window, the demo firm's specialists. Idempotent.

Printed by `load_demo`; the password is public (README), so these exist only on demo and test machines.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from accounts.identifiers import id_number_check_digit, uscc_check_char
from accounts.models import Firm, FirmSpecialist, User
from standards.districts import ZONE_WINDOW, window_code
from standards.models import District, ServiceWindow

DEMO_PASSWORD = "c9-demo-2026"  # noqa: S105 - the published demo password (README), demo machines only

DEMO_FIRM_NAME = "上海浦江数智科技有限公司"
DEMO_FIRM_CODE = "91310101MA1FPX3K2" + uscc_check_char("91310101MA1FPX3K2")
# A demo firm's scope in the words business licences use (no real firm's).
DEMO_FIRM_SCOPE = "软件开发；信息系统集成服务；数据处理和存储支持服务；技术服务、技术开发、技术咨询"
# The districts where the demo firm has a specialist (专员): its home district and one of its branches'.
DEMO_SPECIALIST_DISTRICTS = ("310101", "320508")
DEMO_CITIZEN_ID = "31010119900307123" + id_number_check_digit("31010119900307123")


def clerk_username(district: District) -> str:
    return f"clerk_{district.name_en.lower()}"


@transaction.atomic
def demo_accounts_load() -> list[tuple[str, str, str]]:
    """Create or refresh the demo users; returns (username, role label, where) rows for printing."""
    huangpu = District.objects.get(division_code="310101")
    firm, _ = Firm.objects.update_or_create(
        credit_code=DEMO_FIRM_CODE,
        defaults={"name": DEMO_FIRM_NAME, "registered_district": huangpu},
        # The profile is the representative's to change: set when the firm is created, kept on a reload.
        create_defaults={
            "name": DEMO_FIRM_NAME,
            "registered_district": huangpu,
            "growth_stage": Firm.GrowthStage.GROWTH,
            "business_mode": Firm.BusinessMode.BRANCHES,
            "industry": Firm.Industry.DIGITAL_TECH,
            "business_scope": DEMO_FIRM_SCOPE,
        },
    )
    people: list[tuple[str, dict[str, Any]]] = [
        ("admin", {"role": User.Role.SUPERVISOR, "display_name": "系统管理员", "is_staff": True, "is_superuser": True}),
        ("std_admin", {"role": User.Role.STANDARDS_ADMIN, "display_name": "标准管理员 周敏", "is_staff": True}),
        ("supervisor", {"role": User.Role.SUPERVISOR, "display_name": "联盟督办 陈刚"}),
        # A district's supervisor: sees and follows up the bad ratings of Huangpu only (a demo name, no real person).
        ("supervisor_huangpu", {"role": User.Role.SUPERVISOR, "display_name": "黄浦区督办", "district": huangpu}),
        (
            "zhangsan",
            {
                "role": User.Role.CITIZEN,
                "display_name": "张三",
                "id_number": DEMO_CITIZEN_ID,
                "phone": "13800138000",
                # The demo citizen lives and is insured in Huangpu (as their ID number's region code says).
                "household_district": huangpu,
                "insured_district": huangpu,
            },
        ),
        ("lihua", {"role": User.Role.FIRM, "display_name": "李华", "firm": firm, "phone": "13900139000"}),
    ]
    for district in District.objects.all():
        window = ServiceWindow.objects.get(code=window_code(district.division_code, ZONE_WINDOW))
        people.append(
            (
                clerk_username(district),
                {
                    "role": User.Role.CLERK,
                    "display_name": f"{district.name}店小二",
                    "district": district,
                    "window": window,
                },
            )
        )
    rows = []
    for username, fields in people:
        user, created = User.objects.update_or_create(username=username, defaults=fields)
        if created or not user.has_usable_password():
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        where = str(user.district) if user.district else (user.firm.name if user.firm else "")
        rows.append((username, user.get_role_display(), where))
    supervisor = User.objects.get(username="supervisor")
    for district in District.objects.filter(division_code__in=DEMO_SPECIALIST_DISTRICTS):
        clerk = User.objects.get(username=clerk_username(district))
        # Idempotent: the one active specialist per firm and district is (re)named only when missing.
        if not FirmSpecialist.objects.filter(firm=firm, district=district, active=True).exists():
            FirmSpecialist.objects.create(firm=firm, district=district, clerk=clerk, assigned_by=supervisor)
    return rows
