"""The seed catalogue loader: a deterministic generator of ≈3300 items for the nine districts.

Demo and test data, not the domain: nothing in accounts/, standards/, cases/ or helpdesk/
imports it (`make run` loads it through the `load_catalogue` / `load_demo` commands).
Every value comes from the data in seed/catalogue_data.py, the domain's vocabularies and a
random generator seeded with the item's code, so two runs (and two machines) produce the same catalogue. Loading is
idempotent: what exists is left alone, only missing departments, material types and
items are created (in bulk, so the whole load takes a few seconds on SQLite).
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from seed import catalogue_data as data
from standards.departments import department_new
from standards.districts import DISTRICTS, ENTERPRISE_WINDOW, GENERAL_WINDOW, ZONE_WINDOW, window_code
from standards.models import (
    CatalogueChange,
    Department,
    District,
    ItemImplementation,
    ItemMaterial,
    ItemVersion,
    MaterialType,
    ServiceItem,
    ServiceWindow,
)
from standards.text import pinyin_initials
from standards.vocabulary import CompetentDistrictRule, GrowthStage, HandlingForm, Sector

# Item codes embed an item type's number (its place in ItemVersion.ItemType, from 1).
ITEM_TYPE_NUMBERS = {t: n for n, t in enumerate(ItemVersion.ItemType.values, start=1)}
GROWTH_STAGES = GrowthStage.values
FIRST_EFFECTIVE = dt.date(2024, 1, 1)
REVISED_EFFECTIVE = dt.date(2025, 7, 1)
PUBLISHED_AT = dt.datetime(2023, 12, 15, 2, 0, tzinfo=dt.UTC)
REVISED_PUBLISHED_AT = dt.datetime(2025, 6, 20, 2, 0, tzinfo=dt.UTC)

SECTOR_TOPICS = {
    "market": "市场准入与监管",
    "hr_social": "就业和社会保障",
    "medical_insurance": "医疗保障",
    "housing_fund": "住房公积金",
    "civil_affairs": "民政服务",
    "public_security": "户籍与证件",
    "tax": "税费服务",
    "health": "卫生健康",
    "education": "教育服务",
    "housing": "住房和城乡建设",
    "transport": "交通出行",
    "culture_tourism": "文化旅游",
    "ecology": "生态环境",
    "natural_resources": "不动产登记",
    "justice": "公共法律服务",
    "archives": "档案查询",
    "other": "综合服务",
}
Mode = ItemVersion.CrossProvinceMode
MODE_LABELS = {
    Mode.FULLY_ONLINE: "全程网办",
    Mode.ACCEPT_ON_BEHALF: "异地代收代办",
    Mode.JOINT: "多地联办",
    "": "本地办理",
}
ISSUED_BY_DEPARTMENT = {
    "HOUSEHOLD_REGISTER": "公安机关",
    "PROPERTY_CERT": "不动产登记机构",
    "MARRIAGE_CERT": "婚姻登记机关",
    "DIVORCE_CERT": "婚姻登记机关",
    "BIRTH_CERT": "助产机构",
    "DEATH_CERT": "医疗机构或公安机关",
    "INSPECTION_REPORT": "检验检测机构",
    "FIRE_SAFETY": "消防救援机构",
    "CONTRIBUTION_RECORD": "社会保险经办机构",
    "TRANSFER_LETTER": "社会保险经办机构",
    "DRIVING_LICENCE": "公安交通管理部门",
    "VEHICLE_LICENCE": "公安交通管理部门",
    "VEHICLE_REGISTRATION": "公安交通管理部门",
    "GRADUATION_CERT": "高等学校",
    "EDUCATION_CERT": "教育行政部门",
    "HEALTH_CERT": "医疗卫生机构",
    "HEALTH_EXAM": "医疗卫生机构",
    "DISABILITY_CERT": "残疾人联合会",
    "BUSINESS_LICENCE": "市场监督管理部门",
    "SOCIAL_SECURITY_CARD": "人力资源和社会保障部门",
    "RESIDENCE_PERMIT": "公安机关",
    "DIAGNOSIS": "医疗机构",
    "REFERRAL": "医疗机构",
    "ID_CARD": "公安机关",
    "MOVE_IN_PERMIT": "公安机关",
}
CONDITIONS = {
    "AGENT_AUTH": "委托他人代为办理的",
    "AGENT_ID": "委托他人代为办理的",
    "LEASE_CONTRACT": "场所为租赁的",
    "PREMISES_PROOF": "住所或经营场所发生变化的",
    "CHANGE_STATEMENT": "申请变更的",
    "ORIGINAL_LICENCE": "原证件未遗失的",
    "REFERRAL": "转诊就医的",
    "RESIDENCE_PERMIT": "非本市户籍人员",
    "MARRIAGE_CERT": "已婚的",
    "PROPERTY_CERT": "以自有房屋办理的",
    "LOAN_CONTRACT": "使用贷款的",
    "FIRE_SAFETY": "营业面积超过300平方米的",
    "INSPECTION_REPORT": "首次申请或工艺发生变化的",
    "HEALTH_EXAM": "年满60周岁的",
}
ACTION_MATERIALS = {
    "变更": ["CHANGE_STATEMENT", "ORIGINAL_LICENCE"],
    "变更登记": ["CHANGE_STATEMENT"],
    "变更注册": ["CHANGE_STATEMENT"],
    "延续": ["ORIGINAL_LICENCE"],
    "延续注册": ["ORIGINAL_LICENCE"],
    "注销": ["CANCEL_APPLICATION", "ORIGINAL_LICENCE"],
    "注销登记": ["CANCEL_APPLICATION"],
    "注销注册": ["CANCEL_APPLICATION"],
    "补办": ["LOSS_STATEMENT"],
    "补发": ["LOSS_STATEMENT"],
    "补证": ["LOSS_STATEMENT"],
    "信息变更": ["CHANGE_STATEMENT"],
}
IMMEDIATE_WORDS = ("查询", "打印", "开具", "挂失", "解挂", "激活", "密码重置", "核验", "预约", "兑付")
SHORT_WORDS = ("注销", "补办", "补发", "补领", "补证", "撤回")


@dataclass
class ItemSpec:
    code: str
    family: str
    name: str
    name_en: str
    sector: str
    item_type: str
    obj: str
    law: str
    article: str
    days: int
    result: str
    licence: bool
    mode: str | None
    events: list[str]
    stages: list[str]
    fees: list[tuple[str, str]]
    material_codes: list[str]
    action: str
    home_district: str | None = None  # district programmes: approved only there
    extra: dict[str, Any] = field(default_factory=dict)


def _family_specs() -> list[ItemSpec]:
    specs = []
    for family_no, family in enumerate(data.FAMILIES, start=1):
        for q_no, (q_zh, q_en) in enumerate(family["q"], start=1):
            for a_no, (a_zh, a_en) in enumerate(family["a"], start=1):
                name = family["name"].format(q=q_zh, a=a_zh).replace("（）", "")
                name_en = family["en"].format(q=q_en, a=a_en).replace(" ()", "").replace(": ,", ":").strip(" :")
                code = (
                    f"0{ITEM_TYPE_NUMBERS[family['type']]}{data.SECTOR_NUMBERS[family['sector']]:02d}"
                    f"{family_no:03d}{q_no:02d}{a_no:02d}"
                )
                specs.append(
                    ItemSpec(
                        code=code,
                        family=family["key"],
                        name=name,
                        name_en=name_en[:1].upper() + name_en[1:],
                        sector=family["sector"],
                        item_type=family["type"],
                        obj=family["obj"],
                        law=family["law"],
                        article=family["article"],
                        days=family["days"],
                        result=family.get("result", ""),
                        licence=family.get("licence", False),
                        mode=family.get("mode"),
                        events=family.get("events", []),
                        stages=family.get("stages", []),
                        fees=family.get("fee", []),
                        material_codes=family["m"],
                        action=a_zh,
                    )
                )
    return specs


def _local_specs() -> list[ItemSpec]:
    specs = []
    for division_code, district_name, district_en, *_rest in DISTRICTS:
        for prog_no, (sector, item_type, obj, name, name_en, materials) in enumerate(data.LOCAL_PROGRAMMES, start=1):
            actions = data.BENEFIT_ACTIONS if item_type == "benefit" else data.OTHER_ACTIONS
            for a_no, (a_zh, a_en) in enumerate(actions, start=1):
                specs.append(
                    ItemSpec(
                        code=f"9{division_code}{prog_no:02d}{a_no:02d}",
                        family=f"local-{prog_no}",
                        name=name.format(d=district_name) + a_zh,
                        name_en=f"{district_en} District {name_en}: {a_en}",
                        sector=sector,
                        item_type=item_type,
                        obj=obj,
                        law=f"《{district_name}{name.format(d='').strip()}实施办法》",
                        article="第六条",
                        days=20 if item_type == "benefit" else 15,
                        result="",
                        licence=False,
                        mode=None,
                        events=[],
                        stages=["startup", "growth"] if "L" in obj else [],
                        fees=[],
                        material_codes=materials,
                        action=a_zh,
                        home_district=division_code,
                    )
                )
    return specs


def catalogue_specs() -> list[ItemSpec]:
    specs = _family_specs() + _local_specs()
    codes = [s.code for s in specs]
    names = [s.name for s in specs]
    # The data is edited by hand: a duplicate would silently merge two items on load.
    if len(set(codes)) != len(codes):
        raise ValueError("seed catalogue: item codes must be unique")
    if len(set(names)) != len(names):
        raise ValueError("seed catalogue: item names must be unique")
    return specs


def _mode(spec: ItemSpec, rng: random.Random) -> str:
    if spec.mode is not None:
        return spec.mode
    modes = [Mode.FULLY_ONLINE.value, Mode.ACCEPT_ON_BEHALF.value, Mode.JOINT.value, ""]
    return rng.choices(modes, weights=[45, 30, 15, 10])[0]


def _limits(spec: ItemSpec, rng: random.Random) -> tuple[str, int, int]:
    statutory = spec.days
    if any(word in spec.name for word in SHORT_WORDS):
        statutory = max(1, statutory // 2)
    if any(word in spec.name for word in IMMEDIATE_WORDS):
        return ItemVersion.HandlingKind.IMMEDIATE, max(1, statutory // 4), 0
    promised = max(1, math.ceil(statutory * rng.choice([0.2, 0.25, 0.3, 0.4, 0.5])))
    return ItemVersion.HandlingKind.PROMISED, statutory, min(promised, statutory)


def _materials(spec: ItemSpec, rng: random.Random) -> list[dict[str, Any]]:
    codes = ["APPLICATION_FORM"]
    codes += ["ID_CARD"] if spec.obj == "P" else ["BUSINESS_LICENCE", "LEGAL_REP_ID"]
    if spec.obj == "PL":
        codes = ["APPLICATION_FORM", "ID_CARD", "BUSINESS_LICENCE"]
    for position, code in enumerate(spec.material_codes):
        if position < 2 or rng.random() < 0.8:
            codes.append(code)
    codes += ACTION_MATERIALS.get(spec.action, [])
    codes += ["AGENT_AUTH", "AGENT_ID"]
    seen: set[str] = set()
    rows: list[dict[str, Any]] = []
    names = {code: name for code, name, _en, _el in data.MATERIAL_TYPES}
    names_en = {code: en for code, _n, en, _el in data.MATERIAL_TYPES}
    for code in codes:
        if code in seen:
            continue
        seen.add(code)
        fixed = len(rows) < 2 + (spec.obj != "P")
        conditional = not fixed and (code in CONDITIONS and (code.startswith("AGENT") or rng.random() < 0.5))
        elicence = code in data.ELICENCE_TYPES and rng.random() < 0.75
        if code == "APPLICATION_FORM":
            name, name_en = f"《{spec.name}》申请表", f"Application form: {spec.name_en}"
        else:
            name, name_en = names[code], names_en[code]
        if elicence:
            source = ItemMaterial.Source.ELICENCE
        elif code in ISSUED_BY_DEPARTMENT:
            source = ItemMaterial.Source.DEPARTMENT
        else:
            source = ItemMaterial.Source.APPLICANT
        rows.append(
            dict(
                material_type=code,
                name=name,
                name_en=name_en,
                requirement=ItemMaterial.Requirement.CONDITIONAL if conditional else ItemMaterial.Requirement.REQUIRED,
                condition=CONDITIONS.get(code, "") if conditional else "",
                medium=ItemMaterial.Medium.ELECTRONIC
                if elicence
                else rng.choice([ItemMaterial.Medium.EITHER, ItemMaterial.Medium.EITHER, ItemMaterial.Medium.PAPER]),
                originals=1,
                copies=rng.choice([0, 0, 1, 1, 2]),
                formats=["pdf", "jpg", "png"] if rng.random() < 0.6 else ["pdf"],
                max_size_mb=rng.choice([2, 5, 10, 10, 20]),
                source=source,
                issuing_body=ISSUED_BY_DEPARTMENT.get(code, ""),
                elicence_exempt=elicence,
                acceptance_standard=(
                    "原件真实有效、在有效期内；复印件与原件一致，加盖单位公章"
                    if spec.obj != "P"
                    else "原件真实有效、信息清晰完整，与申请人身份信息一致"
                ),
            )
        )
    return rows


def _fees(spec: ItemSpec, rng: random.Random) -> list[dict[str, str]]:
    return [
        {
            "name": name,
            "standard": standard,
            "basis": "按国家和省（市）物价部门核定标准",
            "reduction": "低保对象、特困人员免收",
        }
        for name, standard in spec.fees
    ]


def _version_fields(spec: ItemSpec, rng: random.Random) -> dict[str, Any]:
    mode = _mode(spec, rng)
    handling_kind, statutory, promised = _limits(spec, rng)
    forms = [HandlingForm.WINDOW.value]
    if mode == Mode.FULLY_ONLINE or rng.random() < 0.8:
        forms.append(HandlingForm.ONLINE.value)
    if rng.random() < 0.7 or mode == Mode.ACCEPT_ON_BEHALF:
        forms.append(HandlingForm.ASSISTED.value)
    if rng.random() < 0.3:
        forms.append(HandlingForm.SELF_SERVICE.value)
    depth = 4 if mode == Mode.FULLY_ONLINE else (3 if HandlingForm.ONLINE in forms else rng.choice([1, 2]))
    visits = 0 if mode == Mode.FULLY_ONLINE else (1 if depth < 4 and rng.random() < 0.8 else 0)
    fees = _fees(spec, rng)
    mode_label = MODE_LABELS[mode]
    person = spec.obj != "L"
    events = list(spec.events)
    stages = list(spec.stages)
    if not person and not stages:
        stages = [rng.choice(GROWTH_STAGES)]
    if spec.action in ("设立登记", "新办", "首次申请", "设立", "申请"):
        stages = sorted(set(stages) | {"startup"}, key=GROWTH_STAGES.index) if not person else stages
    elif spec.action in ("注销", "注销登记", "延续"):
        stages = sorted(set(stages) | {"mature"}, key=GROWTH_STAGES.index) if not person else stages
    limit_text = "即办" if handling_kind == "immediate" else f"{promised}个工作日"
    fee_text = "；".join(f"{f['name']}：{f['standard']}" for f in fees) or "不收费"
    return dict(
        name=spec.name,
        name_en=spec.name_en,
        item_type=spec.item_type,
        sector=spec.sector,
        for_natural_person="P" in spec.obj,
        for_legal_person="L" in spec.obj,
        topic=SECTOR_TOPICS[spec.sector],
        legal_basis_law=spec.law,
        legal_basis_article=spec.article,
        legal_basis_text=f"依据{spec.law}{spec.article}及长三角C9联盟统一办事指南办理。",
        acceptance_conditions=(
            ("申请人为具有完全民事行为能力的自然人或其委托代理人；" if person else "申请人为依法登记的法人或其他组织；")
            + "申请材料齐全、符合法定形式；申请事项属于本事项办理范围。"
        ),
        handling_kind=handling_kind,
        limit_unit=ItemVersion.LimitUnit.WORKING_DAYS,
        statutory_limit=statutory,
        promised_limit=promised,
        handling_forms=forms,
        online_depth=depth,
        onsite_visits=visits,
        appointment_available=rng.random() < 0.8,
        courier_delivery=spec.licence and rng.random() < 0.7,
        online_payment=bool(fees),
        cross_province_mode=mode,
        competent_district_rule=_competence_rule(spec),
        fees=fees,
        result_name=spec.result or ("办理结果通知书" if spec.item_type != "benefit" else "待遇核定结果"),
        result_is_licence=spec.licence,
        result_elicence=spec.licence and rng.random() < 0.6,
        assistance_guide=(
            f"帮办要点：1. 核验申请人身份，能调取电子证照的材料免予提交；2. 对照统一材料清单逐项检查，"
            f"缺件一次性告知补正；3. 本事项为「{mode_label}」，受理后按流程流转至审批地，审批地互认受理结果，"
            f"不得要求申请人重复提交；4. 办结后按申请人选择的方式送达（电子证照、邮寄或窗口领取）。"
        ),
        faq=[
            {
                "q": "可以在其他C9成员区办理吗？",
                "a": f"可以。本事项支持「{mode_label}」，可在任一成员区长三角专区窗口或网上提交。"
                if mode
                else "本事项需在实施区办理，可通过长三角专区窗口预约咨询。",
            },
            {"q": "办理需要多长时间？", "a": f"法定办结时限{statutory}个工作日，承诺{limit_text}。"},
            {"q": "是否收费？", "a": fee_text},
        ],
        life_events=events,
        growth_stages=stages if not person or spec.obj == "PL" else [],
    )


def _competence_rule(spec: ItemSpec) -> str:
    """The competent approving district, by the kind of item: a firm's items where it is registered, a person's
    social-insurance, medical-insurance and provident-fund items where they are insured, public-security items
    (household register, ID card) where their household is registered; any other item where the applicant
    chooses among the districts that approve it."""
    if spec.obj == "L":
        return CompetentDistrictRule.REGISTERED
    if spec.obj == "P" and spec.sector in (Sector.HR_SOCIAL, Sector.MEDICAL_INSURANCE, Sector.HOUSING_FUND):
        return CompetentDistrictRule.SOCIAL_INSURANCE
    if spec.obj == "P" and spec.sector == Sector.PUBLIC_SECURITY:
        return CompetentDistrictRule.HOUSEHOLD
    return CompetentDistrictRule.APPLICANT_CHOICE


def _approving_districts(spec: ItemSpec, rng: random.Random) -> set[str]:
    codes = [code for code, *_rest in DISTRICTS]
    if spec.home_district:
        return {spec.home_district}
    size = rng.choices([1, 2, 3, 5, 9], weights=[30, 20, 20, 10, 20])[0]
    return set(rng.sample(codes, size))


@transaction.atomic
def catalogue_load() -> dict[str, int]:
    """Create whatever part of the standard catalogue is missing; returns counts of created rows."""
    created = {"departments": 0, "material_types": 0, "items": 0, "versions": 0, "materials": 0, "implementations": 0}
    districts = {d.division_code: d for d in District.objects.all()}
    existing_departments = set(Department.objects.values_list("district__division_code", "sector"))
    new_departments = []
    for division_code, district in districts.items():
        for sector in Sector.values:
            if (division_code, sector) in existing_departments:
                continue
            new_departments.append(department_new(district=district, sector=sector))
    Department.objects.bulk_create(new_departments)
    created["departments"] = len(new_departments)
    known_types = set(MaterialType.objects.values_list("code", flat=True))
    new_types = [
        MaterialType(code=code, name=name, name_en=en, elicence_name=elicence)
        for code, name, en, elicence in data.MATERIAL_TYPES
        if code not in known_types
    ]
    MaterialType.objects.bulk_create(new_types)
    created["material_types"] = len(new_types)

    existing_codes = set(ServiceItem.objects.values_list("code", flat=True))
    specs = [spec for spec in catalogue_specs() if spec.code not in existing_codes]
    if not specs:
        return created
    departments = {(d.district.division_code, d.sector): d for d in Department.objects.select_related("district")}
    windows = {w.code: w for w in ServiceWindow.objects.all()}
    types = {t.code: t for t in MaterialType.objects.all()}

    items = ServiceItem.objects.bulk_create([ServiceItem(code=spec.code) for spec in specs], batch_size=500)
    if items and items[0].pk is None:  # a backend that does not return ids
        by_code = ServiceItem.objects.in_bulk([s.code for s in specs], field_name="code")
        items = [by_code[s.code] for s in specs]
    versions, version_materials, implementations = [], [], []
    for spec, item in zip(specs, items, strict=True):
        rng = random.Random(spec.code)  # noqa: S311 - seeded by the item code for a reproducible catalogue, not secrets
        fields = _version_fields(spec, rng)
        materials = _materials(spec, rng)
        revised = spec.home_district is None and rng.random() < 0.12
        if revised:
            # An earlier standard: longer promised limit and one more material, replaced mid-2025.
            old_fields = dict(fields)
            old_fields["promised_limit"] = min(
                fields["statutory_limit"], fields["promised_limit"] + rng.choice([2, 3, 5])
            )
            old_fields["onsite_visits"] = max(1, fields["onsite_visits"])
            old_materials = (
                [*materials, _extra_material(spec)]
                if "COMMITMENT" not in [m["material_type"] for m in materials]
                else materials
            )
            versions.append(
                ItemVersion(
                    item=item,
                    number=1,
                    status=ItemVersion.Status.SUPERSEDED,
                    effective_from=FIRST_EFFECTIVE,
                    effective_to=REVISED_EFFECTIVE - dt.timedelta(days=1),
                    published_at=PUBLISHED_AT,
                    name_initials=pinyin_initials(spec.name),
                    **old_fields,
                )
            )
            version_materials.append(old_materials)
        versions.append(
            ItemVersion(
                item=item,
                number=2 if revised else 1,
                status=ItemVersion.Status.PUBLISHED,
                effective_from=REVISED_EFFECTIVE if revised else FIRST_EFFECTIVE,
                published_at=REVISED_PUBLISHED_AT if revised else PUBLISHED_AT,
                name_initials=pinyin_initials(spec.name),
                **fields,
            )
        )
        version_materials.append(materials)
        approving = _approving_districts(spec, rng)
        for division_code in districts:
            department = departments[(division_code, spec.sector)]
            approves = division_code in approving
            # Accepted at the zone window; approved at the general (persons) or enterprise window.
            if not approves:
                suffix = ZONE_WINDOW
            elif spec.obj == "P":
                suffix = GENERAL_WINDOW
            else:
                suffix = ENTERPRISE_WINDOW
            implementations.append(
                ItemImplementation(
                    item=item,
                    district=districts[division_code],
                    department=department,
                    window=windows[window_code(division_code, suffix)],
                    implementation_code=f"{spec.code}-{division_code}-{department.credit_code}",
                    can_accept=True,
                    can_approve=approves,
                )
            )
    versions = ItemVersion.objects.bulk_create(versions, batch_size=500)
    if versions and versions[0].pk is None:
        lookup = {(v.item_id, v.number): v for v in ItemVersion.objects.filter(item__in=items)}
        versions = [lookup[(v.item_id, v.number)] for v in versions]
    material_rows = []
    for version, rows in zip(versions, version_materials, strict=True):
        for position, row in enumerate(rows, start=1):
            values = dict(row)
            material_rows.append(
                ItemMaterial(
                    version=version, material_type=types[values.pop("material_type")], position=position, **values
                )
            )
    ItemMaterial.objects.bulk_create(material_rows, batch_size=1000)
    ItemImplementation.objects.bulk_create(implementations, batch_size=1000)
    created.update(
        items=len(items), versions=len(versions), materials=len(material_rows), implementations=len(implementations)
    )
    CatalogueChange.objects.create(
        action=CatalogueChange.Action.IMPORT,
        summary=f"load_catalogue: {len(items)} items",
        changes={"created": created},
    )
    from standards.search import search_index_invalidate

    transaction.on_commit(search_index_invalidate)
    return created


def _extra_material(spec: ItemSpec) -> dict[str, Any]:
    return dict(
        material_type="COMMITMENT",
        name="告知承诺书",
        name_en="Letter of commitment",
        requirement=ItemMaterial.Requirement.REQUIRED,
        condition="",
        medium=ItemMaterial.Medium.PAPER,
        originals=1,
        copies=0,
        formats=["pdf"],
        max_size_mb=5,
        source=ItemMaterial.Source.APPLICANT,
        issuing_body="",
        elicence_exempt=False,
        acceptance_standard="申请人签字（盖章）确认",
    )
