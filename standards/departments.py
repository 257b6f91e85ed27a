"""A district's department of a sector: its name and unified social credit code.

A district has one implementing department per sector (`Department`). When an item is
implemented in a district whose department of that sector does not exist yet (an import, a
maintainer naming a new district), the service creates it from the naming rule here, so
the seed catalogue and the services name departments the same way.
"""

from __future__ import annotations

import hashlib

from accounts.identifiers import uscc_check_char
from standards.models import Department, District
from standards.vocabulary import Sector

# Sector -> (department name template, English template). {d}=district, {c}=city; {D}, {C} in English.
DEPARTMENT_NAMES: dict[str, tuple[str, str]] = {
    Sector.MARKET: ("{d}市场监督管理局", "{D} Administration for Market Regulation"),
    Sector.HR_SOCIAL: ("{d}人力资源和社会保障局", "{D} Human Resources and Social Security Bureau"),
    Sector.MEDICAL_INSURANCE: ("{d}医疗保障局", "{D} Healthcare Security Bureau"),
    Sector.HOUSING_FUND: ("{c}住房公积金管理中心{d}管理部", "{C} Housing Provident Fund Centre, {D} Office"),
    Sector.CIVIL_AFFAIRS: ("{d}民政局", "{D} Civil Affairs Bureau"),
    Sector.PUBLIC_SECURITY: ("{c}市公安局{d}分局", "{C} Public Security Bureau, {D} Branch"),
    Sector.TAX: ("国家税务总局{c}市{d}税务局", "{D} Tax Bureau, State Taxation Administration"),
    Sector.HEALTH: ("{d}卫生健康委员会", "{D} Health Commission"),
    Sector.EDUCATION: ("{d}教育局", "{D} Education Bureau"),
    Sector.HOUSING: ("{d}住房和城乡建设局", "{D} Housing and Urban-Rural Development Bureau"),
    Sector.TRANSPORT: ("{d}交通运输局", "{D} Transport Bureau"),
    Sector.CULTURE_TOURISM: ("{d}文化和旅游局", "{D} Culture and Tourism Bureau"),
    Sector.ECOLOGY: ("{c}市生态环境局{d}分局", "{C} Ecology and Environment Bureau, {D} Branch"),
    Sector.NATURAL_RESOURCES: ("{c}市规划和自然资源局{d}分局", "{C} Planning and Natural Resources Bureau, {D} Branch"),
    Sector.JUSTICE: ("{d}司法局", "{D} Justice Bureau"),
    Sector.ARCHIVES: ("{d}档案馆", "{D} Archives"),
    Sector.OTHER: ("{d}政务服务中心", "{D} Government Service Centre"),
    Sector.VETERANS: ("{d}退役军人事务局", "{D} Veterans Affairs Bureau"),
    Sector.DISABLED_PERSONS: ("{d}残疾人联合会", "{D} Disabled Persons' Federation"),
}


def department_credit_code(division_code: str, sector: str) -> str:
    """A valid-format unified social credit code of a government organ (登记管理部门 1, 机关 1)."""
    digest = hashlib.sha256(f"{division_code}:{sector}".encode()).digest()
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    organisation = "".join(alphabet[b % len(alphabet)] for b in digest[:9])
    first17 = f"11{division_code}{organisation}"
    return first17 + uscc_check_char(first17)


def department_new(*, district: District, sector: str) -> Department:
    """An unsaved department of a district for a sector, named by the rule above."""
    template, template_en = DEPARTMENT_NAMES.get(sector, DEPARTMENT_NAMES[Sector.OTHER])
    return Department(
        district=district,
        sector=sector,
        name=template.format(d=district.name, c=district.city),
        name_en=template_en.format(D=f"{district.name_en} District", C=district.city_en),
        credit_code=department_credit_code(district.division_code, sector),
    )


def department_for(*, district: District, sector: str) -> Department:
    """The district's department of a sector, created from the naming rule when it does not exist yet."""
    new = department_new(district=district, sector=sector)
    department, _created = Department.objects.get_or_create(
        district=district,
        sector=sector,
        defaults={"name": new.name, "name_en": new.name_en, "credit_code": new.credit_code},
    )
    return department
