"""The seed catalogue loader: the real items of seed/catalogue_data.py and their district implementations.

Demo and test data, not the domain: nothing in accounts/, standards/, cases/ or helpdesk/
imports it (`make run` loads it through the `load_catalogue` / `load_demo` commands).
Every value comes from seed/catalogue_data.py and the domain's vocabularies; what the data
does not know for certain is stored as 待核实 (`standards.models.UNVERIFIED`, listed in
`ItemVersion.unverified_fields`). Every row passes the consistency rules of
standards/consistency.py before anything is written, and a broken row stops the load with its
code and name. Loading is idempotent: only missing departments, material types and items are
created (in bulk). docs/catalogue.md says where each part of the data comes from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from seed import catalogue_data as data
from seed.forms_data import APPLICATION_FORMS
from seed.synonyms_data import SYNONYMS
from standards.consistency import code_problems, implementation_problems, require, version_problems
from standards.departments import department_new
from standards.districts import DISTRICTS, ENTERPRISE_WINDOW, GENERAL_WINDOW, ZONE_WINDOW, window_code
from standards.forms import validate_application_form
from standards.generation import catalogue_changed
from standards.models import (
    UNVERIFIED,
    VERIFIABLE_FIELDS,
    CatalogueChange,
    Department,
    District,
    ItemImplementation,
    ItemMaterial,
    ItemVersion,
    MaterialType,
    SearchSynonym,
    ServiceItem,
    ServiceWindow,
)
from standards.text import normalise, pinyin_initials
from standards.vocabulary import CompetentDistrictRule, HandlingForm, Sector

FIRST_EFFECTIVE = dt.date(2024, 1, 1)
PUBLISHED_AT = dt.datetime(2023, 12, 15, 2, 0, tzinfo=dt.UTC)
# The placeholder stored for an unknown time limit (shown as 待核实): the general limit of a licensing
# decision, 《中华人民共和国行政许可法》第四十二条 (twenty days); for other items only a placeholder.
PLACEHOLDER_LIMIT = 20

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
    "veterans": "退役军人服务",
    "disabled_persons": "残疾人服务",
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
    "GRADUATION_CERT": "高等学校",
    "EDUCATION_CERT": "教育行政部门",
    "DISABILITY_CERT": "残疾人联合会",
    "BUSINESS_LICENCE": "市场监督管理部门",
    "SOCIAL_SECURITY_CARD": "人力资源和社会保障部门",
    "RESIDENCE_PERMIT": "公安机关",
    "DIAGNOSIS": "医疗机构",
    "REFERRAL": "医疗机构",
    "ID_CARD": "公安机关",
    "MOVE_IN_PERMIT": "公安机关",
    "PLANNING_PERMIT": "规划资源管理部门",
}
AGENT_CONDITION = "委托他人代为办理的"


@dataclass
class ItemSpec:
    """One item of seed/catalogue_data.py with what the loader derives from it."""

    row: data.Item

    @property
    def code(self) -> str:
        return self.row["code"]

    @property
    def name(self) -> str:
        return self.row["name"]

    @property
    def sector(self) -> str:
        return self.row["sector"]

    @property
    def item_type(self) -> str:
        return self.row["type"]

    @property
    def events(self) -> list[str]:
        return self.row["events"]

    @property
    def stages(self) -> list[str]:
        return self.row["stages"]

    @property
    def label(self) -> str:
        """How a failing check names the row."""
        return f"seed/catalogue_data.py item {self.code} {self.name}"


def catalogue_specs() -> list[ItemSpec]:
    specs = [ItemSpec(row) for row in data.ITEMS]
    # The data is edited by hand: a duplicate would silently merge two items on load.
    require("seed/catalogue_data.py ITEMS", code_problems([s.code for s in specs], data.CODE_PATTERN))
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        require("seed/catalogue_data.py ITEMS", [f"name {n!r} is used twice" for n in names if names.count(n) > 1])
    return specs


def _limits(row: data.Item) -> tuple[str, int, int, list[str]]:
    """Handling kind, statutory and promised limits, and which of the two are 待核实."""
    unverified = []
    if row["immediate"]:
        kind = ItemVersion.HandlingKind.IMMEDIATE
        statutory = row["statutory"] if row["statutory"] is not None else 0
        promised = 0
        if row["statutory"] is None:
            unverified.append("statutory_limit")
        return kind, statutory, promised, unverified
    statutory = row["statutory"] if row["statutory"] is not None else PLACEHOLDER_LIMIT
    if row["statutory"] is None:
        unverified.append("statutory_limit")
    promised = row["promised"] if row["promised"] is not None else statutory
    if row["promised"] is None:  # the placeholder never promises more than the law allows
        unverified.append("promised_limit")
    return ItemVersion.HandlingKind.PROMISED, statutory, promised, unverified


def _materials(row: data.Item) -> list[dict[str, Any]]:
    codes = ["APPLICATION_FORM", *row["m"], "AGENT_AUTH", "AGENT_ID"]
    names = {code: name for code, name, _en, _el in data.MATERIAL_TYPES}
    names_en = {code: en for code, _n, en, _el in data.MATERIAL_TYPES}
    rows: list[dict[str, Any]] = []
    for code in dict.fromkeys(codes):
        elicence = code in data.ELICENCE_TYPES
        if code == "APPLICATION_FORM":
            name, name_en = f"《{row['name']}》申请表", f"Application form: {row['en']}"
        else:
            name, name_en = names[code], names_en[code]
        if elicence:
            source = ItemMaterial.Source.ELICENCE
        elif code in ISSUED_BY_DEPARTMENT:
            source = ItemMaterial.Source.DEPARTMENT
        else:
            source = ItemMaterial.Source.APPLICANT
        agent = code in ("AGENT_AUTH", "AGENT_ID")
        rows.append(
            dict(
                material_type=code,
                name=name,
                name_en=name_en,
                requirement=ItemMaterial.Requirement.CONDITIONAL if agent else ItemMaterial.Requirement.REQUIRED,
                condition=AGENT_CONDITION if agent else "",
                medium=ItemMaterial.Medium.ELECTRONIC if elicence else ItemMaterial.Medium.EITHER,
                originals=1,
                copies=0,
                formats=["pdf", "jpg", "png"],
                max_size_mb=10,
                source=source,
                issuing_body=ISSUED_BY_DEPARTMENT.get(code, ""),
                elicence_exempt=elicence,
                acceptance_standard="",
            )
        )
    return rows


PROCESS_STEPS = {
    "fully_online": [
        "网上或在任一成员区长三角专区提交申请",
        "受理并核验材料（电子证照免交）",
        "审核并作出决定",
        "以电子证照或邮寄送达结果",
    ],
    "accept_on_behalf": [
        "在任一成员区长三角专区窗口提交申请",
        "受理地核验材料并受理",
        "流转至审批地（申请人户籍或登记所在区），审批地互认受理结果",
        "审批地审核并作出决定",
        "由受理地窗口或邮寄送达结果",
    ],
    "joint": ["在任一成员区提交申请", "受理地受理并核验材料", "相关各地联合办理", "作出决定并送达结果"],
    "": ["向户籍或登记所在区窗口提交申请", "受理并核验材料", "审核并作出决定", "送达结果"],
}
IMMEDIATE_STEPS = ["提交申请并核验材料", "当场办结"]


def _version_fields(spec: ItemSpec) -> dict[str, Any]:
    row = spec.row
    mode = row["mode"]
    handling_kind, statutory, promised, unverified = _limits(row)
    forms = [HandlingForm.WINDOW.value, HandlingForm.ASSISTED.value]
    if mode in (Mode.FULLY_ONLINE, Mode.JOINT):
        forms.append(HandlingForm.ONLINE.value)
    depth = {"fully_online": 4, "accept_on_behalf": 3, "joint": 3}.get(mode, 2)
    if row["fees"] is None:
        fees: list[dict[str, str]] = []
        unverified.append("fees")
    else:
        fees = [{"name": n, "standard": s, "basis": UNVERIFIED, "reduction": ""} for n, s in row["fees"]]
    law, article, basis = row["law"], row["article"], row["basis"]
    unverified += [f for f, value in (("legal_basis_law", law), ("legal_basis_article", article)) if value is None]
    if basis is None:
        unverified.append("legal_basis_text")
    if row["result"] is None:
        unverified.append("result_name")
    unverified.append("acceptance_conditions")  # per item, from each district's guide: none is known here
    unverified.append("result_sample")
    mode_label = MODE_LABELS[mode]
    person = "P" in row["obj"]
    limit_text = (
        "待核实"
        if "promised_limit" in unverified or "statutory_limit" in unverified
        else ("即办" if handling_kind == ItemVersion.HandlingKind.IMMEDIATE else f"承诺{promised}个工作日")
    )
    fee_text = "待核实" if row["fees"] is None else ("；".join(f"{n}：{s}" for n, s in row["fees"]) or "不收费")
    return dict(
        name=row["name"],
        name_en=row["en"],
        item_type=row["type"],
        sector=row["sector"],
        for_natural_person=person,
        for_legal_person="L" in row["obj"],
        topic=SECTOR_TOPICS[row["sector"]],
        legal_basis_law=law or UNVERIFIED,
        legal_basis_article=article or UNVERIFIED,
        legal_basis_text=basis or UNVERIFIED,
        acceptance_conditions=UNVERIFIED,
        handling_kind=handling_kind,
        limit_unit=row["unit"],
        statutory_limit=statutory,
        promised_limit=promised,
        handling_forms=forms,
        online_depth=depth,
        onsite_visits=0 if mode == Mode.FULLY_ONLINE else 1,
        appointment_available=True,
        courier_delivery=row["licence"] and mode != "",
        online_payment=bool(fees),
        cross_province_mode=mode,
        competent_district_rule=_competence_rule(spec),
        fees=fees,
        result_name=row["result"] or UNVERIFIED,
        result_is_licence=row["licence"],
        result_elicence=False,
        result_sample=UNVERIFIED,
        process_steps=list(IMMEDIATE_STEPS if row["immediate"] else PROCESS_STEPS[mode]),
        assistance_guide=(
            "帮办要点：1. 核验申请人身份，能调取电子证照的材料免予提交；2. 对照统一材料清单逐项检查，"
            f"缺件一次性告知补正；3. 本事项为「{mode_label}」，受理后按流程流转至审批地，审批地互认受理结果，"
            "不得要求申请人重复提交；4. 办结后按申请人选择的方式送达（电子证照、邮寄或窗口领取）。"
        ),
        faq=[
            {
                "q": "可以在其他C9成员区办理吗？",
                "a": f"可以。本事项支持「{mode_label}」，可在任一成员区长三角专区窗口或网上提交。"
                if mode
                else "本事项由户籍或登记所在区办理，可通过长三角专区窗口预约咨询。",
            },
            {"q": "办理需要多长时间？", "a": f"办结时限：{limit_text}。"},
            {"q": "是否收费？", "a": fee_text},
        ],
        life_events=list(row["events"]),
        growth_stages=list(row["stages"]) if "L" in row["obj"] else [],
        application_form=list(APPLICATION_FORMS.get(row["name"], ([], ""))[0]),
        application_form_source=APPLICATION_FORMS.get(row["name"], ([], ""))[1],
        unverified_fields=[f for f in VERIFIABLE_FIELDS if f in unverified],
    )


def _implementation_plan(spec: ItemSpec) -> list[tuple[str, str, bool, bool, str]]:
    """(division code, window suffix, accepts, approves, source note) per district that handles the item.

    Every item of the seed list is implemented in all nine districts: a national 通办 or YRD item is
    accepted in every member district and approved by the district where the applicant is registered
    (so each district does both for its own registrants); a basic-catalogue item is handled by each
    district for its own residents and firms. Which window takes it is inferred from the item.
    """
    lists = spec.row["lists"]
    if lists[0] in ("KS", "CSJ"):
        suffix = ZONE_WINDOW
        note = "推定：跨省通办/一网通办事项，九区均受理，由申请人户籍或登记所在区审批；部门与窗口待核实"
    else:
        suffix = ENTERPRISE_WINDOW if spec.row["obj"] == "L" else GENERAL_WINDOW
        note = "推定：基本目录事项，各区为本区居民和企业受理并审批；部门与窗口待核实"
    return [(code, suffix, True, True, note) for code, *_rest in DISTRICTS]


def catalogue_check() -> list[ItemSpec]:
    """Every row of the seed data, checked before anything is written; a broken row raises with its name."""
    specs = catalogue_specs()
    longest = MaterialType._meta.get_field("code").max_length or 0
    for code, *_names in data.MATERIAL_TYPES:
        # SQLite would store a code longer than the column; PostgreSQL refuses it: fail here, with the code.
        require(f"material type {code}", [f"code longer than {longest} characters"] if len(code) > longest else [])
    names = {spec.name for spec in specs}
    require("application forms", [f"no seed item named {name}" for name in APPLICATION_FORMS if name not in names])
    for spec in specs:
        fields = _version_fields(spec)
        try:
            validate_application_form(fields["application_form"])
        except ValidationError as error:
            require(spec.label, [f"application form: {m}" for m in error.messages])
        require(spec.label, version_problems(fields, _materials(spec.row)))
        require(spec.label, implementation_problems((c, a, p) for c, _s, a, p, _n in _implementation_plan(spec)))
    return specs


def _competence_rule(spec: ItemSpec) -> str:
    """The competent approving district, by the kind of item: a firm's items where it is registered, a person's
    social-insurance, medical-insurance and provident-fund items where they are insured, public-security items
    (household register, ID card) where their household is registered; any other item where the applicant
    chooses among the districts that approve it."""
    if spec.row["obj"] == "L":
        return CompetentDistrictRule.REGISTERED
    if spec.row["obj"] == "P" and spec.sector in (Sector.HR_SOCIAL, Sector.MEDICAL_INSURANCE, Sector.HOUSING_FUND):
        return CompetentDistrictRule.SOCIAL_INSURANCE
    if spec.row["obj"] == "P" and spec.sector == Sector.PUBLIC_SECURITY:
        return CompetentDistrictRule.HOUSEHOLD
    return CompetentDistrictRule.APPLICANT_CHOICE


@transaction.atomic
def catalogue_load() -> dict[str, int]:
    """Create whatever part of the standard catalogue is missing; returns counts of created rows."""
    created = {
        "departments": 0,
        "material_types": 0,
        "items": 0,
        "versions": 0,
        "materials": 0,
        "implementations": 0,
        "synonyms": 0,
    }
    all_specs = catalogue_check()
    created["synonyms"] = synonyms_load()
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
    specs = [spec for spec in all_specs if spec.code not in existing_codes]
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
        versions.append(
            ItemVersion(
                item=item,
                number=1,
                status=ItemVersion.Status.PUBLISHED,
                effective_from=FIRST_EFFECTIVE,
                published_at=PUBLISHED_AT,
                name_initials=pinyin_initials(spec.name),
                **_version_fields(spec),
            )
        )
        version_materials.append(_materials(spec.row))
        for division_code, suffix, accepts, approves, note in _implementation_plan(spec):
            if division_code not in districts:
                continue
            department = departments[(division_code, spec.sector)]
            implementations.append(
                ItemImplementation(
                    item=item,
                    district=districts[division_code],
                    department=department,
                    window=windows[window_code(division_code, suffix)],
                    implementation_code=f"{spec.code}-{division_code}",
                    can_accept=accepts,
                    can_approve=approves,
                    source_note=note,
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
        summary=f"load_catalogue: {len(items)} items, {len(implementations)} district implementations",
        changes={"created": created},
    )
    transaction.on_commit(catalogue_changed)
    return created


def synonyms_load() -> int:
    """Add the seed pairs of the search's dictionary that are missing (never touches the administrators' pairs)."""
    existing = set(SearchSynonym.objects.values_list("word", "synonym"))
    new = []
    for word, synonym in SYNONYMS:
        pair = (normalise(word), normalise(synonym))
        if pair not in existing and (pair[1], pair[0]) not in existing and pair[0] != pair[1]:
            existing.add(pair)
            new.append(SearchSynonym(word=pair[0], synonym=pair[1], note="seed"))
    SearchSynonym.objects.bulk_create(new)
    return len(new)
