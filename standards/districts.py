"""The nine C9 districts and their windows: reference data, keyed by GB/T 2260 division code.

Used by the data migration, by tests that flush the database and by the Celery queue
list, so it is plain data with no model import.
"""

from __future__ import annotations

from typing import Any

PROVINCES = [
    # code, name, name_en, short name
    ("310000", "上海市", "Shanghai", "沪"),
    ("320000", "江苏省", "Jiangsu", "苏"),
    ("330000", "浙江省", "Zhejiang", "浙"),
    ("340000", "安徽省", "Anhui", "皖"),
]

DISTRICTS = [
    # division code, name, name_en, city, city_en, province code
    ("310101", "黄浦区", "Huangpu", "上海", "Shanghai", "310000"),
    ("330102", "上城区", "Shangcheng", "杭州", "Hangzhou", "330000"),
    ("320106", "鼓楼区", "Gulou", "南京", "Nanjing", "320000"),
    ("330212", "鄞州区", "Yinzhou", "宁波", "Ningbo", "330000"),
    ("320508", "姑苏区", "Gusu", "苏州", "Suzhou", "320000"),
    ("340103", "庐阳区", "Luyang", "合肥", "Hefei", "340000"),
    ("340104", "蜀山区", "Shushan", "合肥", "Hefei", "340000"),
    ("320213", "梁溪区", "Liangxi", "无锡", "Wuxi", "320000"),
    # New code after the 2020 merger with 港闸区; older lists show 320602.
    ("320613", "崇川区", "Chongchuan", "南通", "Nantong", "320000"),
]

DIVISION_CODES = tuple(code for code, *_ in DISTRICTS)

# Each district's government service centre has a Yangtze River Delta zone window
# (长三角专区) and general and enterprise windows. Huangpu's zone address is known;
# the others name the district centre and are corrected by administrators in the admin.
KNOWN_ZONE_ADDRESSES = {"310101": "上海市黄浦区九江路128号（外滩中央·新康大楼）"}

# A window's code is its district's division code and a suffix of its kind: "310101-YRD" (window_code).
ZONE_WINDOW = "YRD"
GENERAL_WINDOW = "GEN"
ENTERPRISE_WINDOW = "ENT"

WINDOW_TEMPLATES = [
    # code suffix, kind, name, name_en, weekdays open, opens, closes
    (ZONE_WINDOW, "yrd_zone", "长三角专区窗口", "Yangtze River Delta zone window", "123456", "09:00", "17:00"),
    (GENERAL_WINDOW, "general", "综合受理窗口", "General acceptance window", "12345", "09:00", "17:00"),
    (ENTERPRISE_WINDOW, "enterprise", "企业服务窗口", "Enterprise service window", "12345", "09:00", "17:00"),
]


def window_code(division_code: str, suffix: str) -> str:
    return f"{division_code}-{suffix}"


def window_address(division_code: str, city: str, district: str) -> str:
    return KNOWN_ZONE_ADDRESSES.get(division_code, f"{city}市{district}政务服务中心")


def seed_districts(Province: Any, District: Any, ServiceWindow: Any) -> None:
    """Create or refresh the provinces, districts and windows. Idempotent.

    Takes the model classes so that migrations can pass their historical models.
    """
    provinces = {}
    for code, name, name_en, short_name in PROVINCES:
        provinces[code], _ = Province.objects.update_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "short_name": short_name}
        )
    for code, name, name_en, city, city_en, province_code in DISTRICTS:
        district, _ = District.objects.update_or_create(
            division_code=code,
            defaults={
                "name": name,
                "name_en": name_en,
                "city": city,
                "city_en": city_en,
                "province": provinces[province_code],
            },
        )
        for suffix, kind, window_name, window_name_en, weekdays, opens, closes in WINDOW_TEMPLATES:
            ServiceWindow.objects.get_or_create(
                code=window_code(code, suffix),
                defaults={
                    "district": district,
                    "kind": kind,
                    "name": window_name,
                    "name_en": window_name_en,
                    "address": window_address(code, city, name),
                    "open_weekdays": weekdays,
                    "opens_at": opens,
                    "closes_at": closes,
                },
            )
