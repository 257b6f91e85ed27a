"""Application forms (申请表) of a few seed items, as fields to fill in (standards.forms).

Only fields a public source names are listed, each form with its source; what the source does not settle
(the printed form's exact layout and any further boxes a district's form has) is marked 待核实 in the
source, never filled in by guess. Items not listed here keep their 申请表 as a material to upload only.
"""

from __future__ import annotations

from typing import Any

SEX = [{"value": "male", "label": "男", "label_en": "Male"}, {"value": "female", "label": "女", "label_en": "Female"}]


def _f(key: str, label: str, label_en: str, kind: str, *, required: bool = True, **more: Any) -> dict[str, Any]:
    return {"key": key, "label": label, "label_en": label_en, "kind": kind, "required": required, **more}


# 《中华人民共和国居民身份证法》第三条: 居民身份证登记的项目包括：姓名、性别、民族、出生日期、常住户口所在地住址、
# 公民身份号码、本人相片、指纹信息、证件的有效期和签发机关 (the photo, fingerprints, validity and issuer are taken
# or set at the police station, not filled in). 第十一条: the three cases for a renewal (换领).
_ID_CARD_BASE = [
    _f("name", "姓名", "Name", "text", max_length=50),
    _f("sex", "性别", "Sex", "choice", choices=SEX),
    _f("ethnicity", "民族", "Ethnic group", "text", max_length=20),
    _f("born", "出生日期", "Date of birth", "date"),
    _f("household_address", "常住户口所在地住址", "Address of permanent household registration", "address"),
    _f("id_number", "公民身份号码", "Citizen ID number", "id_number"),
]
ID_CARD_RENEWAL = [
    *_ID_CARD_BASE,
    _f(
        "reason",
        "换领原因",
        "Reason for the renewal",
        "choice",
        choices=[
            {"value": "expired", "label": "有效期满", "label_en": "Validity expired"},
            {"value": "name_changed", "label": "公民姓名变更", "label_en": "Name changed"},
            {"value": "damaged", "label": "证件严重损坏不能辨认", "label_en": "Damaged beyond recognition"},
        ],
    ),
]
ID_CARD_SOURCE = (
    "《中华人民共和国居民身份证法》第三条（登记项目）、第十一条（换领情形）；《居民身份证申领登记表》版式：待核实"
)

# 《市场主体登记管理条例》第八条: 个体工商户的登记事项包括组成形式、经营范围、经营场所，经营者姓名、住所。
# 个体工商户使用名称的，登记事项还应当包括名称。The operator's ID number identifies them (身份证明).
INDIVIDUAL_BUSINESS = [
    _f(
        "business_name",
        "名称（使用名称的填写）",
        "Name (if the business uses one)",
        "text",
        required=False,
        max_length=100,
    ),
    _f(
        "form",
        "组成形式",
        "Form of the business",
        "choice",
        choices=[
            {"value": "individual", "label": "个人经营", "label_en": "Run by one person"},
            {"value": "family", "label": "家庭经营", "label_en": "Run by a family"},
        ],
    ),
    _f("scope", "经营范围", "Business scope", "long_text", max_length=1000),
    _f("premises", "经营场所", "Business premises", "address"),
    _f("operator_name", "经营者姓名", "Operator's name", "text", max_length=50),
    _f("operator_id_number", "经营者公民身份号码", "Operator's ID number", "id_number"),
    _f("operator_address", "经营者住所", "Operator's domicile", "address"),
]
INDIVIDUAL_BUSINESS_SOURCE = (
    "《中华人民共和国市场主体登记管理条例》第八条（个体工商户登记事项）；《个体工商户登记（备案）申请书》版式：待核实"
)

# The applicant's particulars any 残疾人证 application asks for, and the category of disability by the national
# standard GB/T 26341-2010 (残疾人残疾分类和分级). The provincial forms' further boxes: 待核实.
DISABILITY_CERTIFICATE = [
    _f("name", "姓名", "Name", "text", max_length=50),
    _f("sex", "性别", "Sex", "choice", choices=SEX),
    _f("id_number", "公民身份号码", "Citizen ID number", "id_number"),
    _f("household_address", "户籍地址", "Address of household registration", "address"),
    _f("address", "现居住地址", "Current address", "address", required=False),
    _f("phone", "联系电话", "Phone", "phone"),
    _f(
        "category",
        "申请评定的残疾类别",
        "Category of disability to assess",
        "choice",
        choices=[
            {"value": "visual", "label": "视力残疾", "label_en": "Visual"},
            {"value": "hearing", "label": "听力残疾", "label_en": "Hearing"},
            {"value": "speech", "label": "言语残疾", "label_en": "Speech"},
            {"value": "physical", "label": "肢体残疾", "label_en": "Physical"},
            {"value": "intellectual", "label": "智力残疾", "label_en": "Intellectual"},
            {"value": "mental", "label": "精神残疾", "label_en": "Mental"},
            {"value": "multiple", "label": "多重残疾", "label_en": "Multiple"},
        ],
    ),
    _f(
        "guardian",
        "监护人或代理人姓名（申请人为未成年人或无民事行为能力人时）",
        "Guardian or agent",
        "text",
        required=False,
    ),
]
DISABILITY_SOURCE = "残疾类别：GB/T 26341-2010《残疾人残疾分类和分级》；各地《残疾人证申请表》的版式与其余栏目：待核实"

# By the seed item's name (seed/catalogue_data.py): (fields, source).
APPLICATION_FORMS: dict[str, tuple[list[dict[str, Any]], str]] = {
    "居民身份证换领": (ID_CARD_RENEWAL, ID_CARD_SOURCE),
    "个体工商户设立登记": (INDIVIDUAL_BUSINESS, INDIVIDUAL_BUSINESS_SOURCE),
    "残疾人证核发": (DISABILITY_CERTIFICATE, DISABILITY_SOURCE),
}
