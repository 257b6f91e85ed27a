"""Which items a firm is recommended (精服务), ranked, each with its reasons: the rules, declared once.

Pure functions over plain snapshots (no database), like `routing_rules.py` and `competence_rules.py`;
`cases.selectors.firms.firm_recommendations` reads the firm and the items in force and calls `recommend`.

Three things about the firm decide, each adding weight and a reason people can read:

* its **industry** (or a word of its declared business scope, 经营范围): an industry's own licences
  (`INDUSTRY_RULES`, matched by a fragment of the item's name) are recommended to firms of that industry
  and to firms whose scope names them — and **never to anyone else**: a software firm gets no food-licence
  items unless its scope says it sells food;
* its **growth stage**: items the catalogue tags for the firm's stage (`ItemVersion.growth_stages`); an item
  tagged only for other stages is left out, whatever else fits (a start-up has no licence to renew or cancel),
  unless the business mode calls for it (a growth-stage firm with branches still registers a branch);
* its **business mode** across provinces: items a firm with branches, a headquarters elsewhere or a
  cross-province supply chain meets (`MODE_RULES`), and, as a smaller weight, items handled across
  provinces without travelling (跨省通办).

An item is recommended only with at least one reason of the first two kinds or a business-mode rule of its
own; "can be handled across provinces" alone does not make an item relevant. At most `LIMIT` items, the
heaviest first, then by code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Firm
from standards.models import ItemVersion
from standards.vocabulary import GrowthStage, label_of

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

LIMIT = 20

Industry = Firm.Industry
Mode = Firm.BusinessMode

# Weights: what the firm does outweighs where it stands, which outweighs how it is organised.
INDUSTRY_WEIGHT = 5
STAGE_WEIGHT = 3
MODE_WEIGHT = 3
CROSS_PROVINCE_WEIGHT = 1


@dataclass(frozen=True)
class IndustryRule:
    """Items whose name holds `fragment` are for `industries`, or for a firm whose scope names one of `scope_words`."""

    fragment: str
    industries: frozenset[str]
    scope_words: tuple[str, ...]


# The first rule whose fragment is in an item's name decides (the more specific fragments first).
INDUSTRY_RULES: tuple[IndustryRule, ...] = (
    IndustryRule("仅销售预包装食品", frozenset({Industry.FOOD_SERVICE, Industry.RETAIL}), ("预包装食品", "食品销售")),
    # Selling pre-packaged food only needs the 备案 above, not the licence: "食品" alone is not enough here.
    IndustryRule("食品", frozenset({Industry.FOOD_SERVICE}), ("餐饮", "食品经营", "散装食品", "热食", "冷食")),
    IndustryRule(
        "公共场所卫生",
        frozenset({Industry.HOSPITALITY, Industry.CULTURE_ENTERTAINMENT}),
        ("住宿", "美容", "美发", "沐浴", "游泳"),
    ),
    IndustryRule("娱乐场所", frozenset({Industry.CULTURE_ENTERTAINMENT}), ("娱乐", "歌舞", "游艺")),
    IndustryRule("互联网上网服务", frozenset({Industry.CULTURE_ENTERTAINMENT}), ("上网服务", "网吧")),
    IndustryRule("民办学校", frozenset({Industry.EDUCATION}), ("学前教育", "义务教育")),
    IndustryRule("建筑工程施工", frozenset({Industry.CONSTRUCTION}), ("建筑工程", "施工")),
    IndustryRule("环境影响", frozenset({Industry.MANUFACTURING, Industry.CONSTRUCTION}), ("生产", "加工", "制造")),
    IndustryRule("排污", frozenset({Industry.MANUFACTURING}), ("生产", "加工", "制造")),
    IndustryRule("机动车", frozenset({Industry.LOGISTICS}), ("运输", "物流", "汽车租赁")),
)


@dataclass(frozen=True)
class ModeRule:
    """Items whose name holds `fragment` concern firms of `modes`, for the reason given."""

    fragment: str
    modes: frozenset[str]
    reason: StrOrPromise  # lazy: translated when the reasons are read


MODE_RULES: tuple[ModeRule, ...] = (
    ModeRule(
        "分公司",
        frozenset({Mode.BRANCHES, Mode.HQ_ELSEWHERE}),
        gettext_lazy("You run or plan branches outside your home province."),
    ),
    ModeRule(
        "跨区域涉税",
        frozenset({Mode.BRANCHES, Mode.HQ_ELSEWHERE, Mode.SUPPLY_CHAIN}),
        gettext_lazy("You do business outside the district where you are registered for tax."),
    ),
)

CROSS_PROVINCE_MODES = frozenset({Mode.BRANCHES, Mode.HQ_ELSEWHERE, Mode.SUPPLY_CHAIN})


@dataclass(frozen=True)
class FirmView:
    growth_stage: str
    business_mode: str
    industry: str
    business_scope: str = ""

    @classmethod
    def of(cls, firm: Firm) -> FirmView:
        return cls(firm.growth_stage, firm.business_mode, firm.industry, firm.business_scope)


@dataclass(frozen=True)
class ItemView:
    version_id: int
    code: str
    name: str
    growth_stages: tuple[str, ...] = ()
    cross_province_mode: str = ""

    @classmethod
    def of(cls, version: ItemVersion) -> ItemView:
        return cls(
            version.pk,
            version.item.code,
            version.name,
            tuple(version.growth_stages or ()),
            version.cross_province_mode,
        )


@dataclass(frozen=True)
class Recommendation:
    version_id: int
    score: int
    reasons: tuple[str, ...]


def industry_rule_of(name: str) -> IndustryRule | None:
    """The rule of the industry an item belongs to, or None for an item every firm may need."""
    return next((rule for rule in INDUSTRY_RULES if rule.fragment in name), None)


def _industry_reason(rule: IndustryRule, firm: FirmView) -> str | None:
    if firm.industry in rule.industries:
        return _("Firms in your industry (%(industry)s) need it.") % {"industry": label_of(Industry, firm.industry)}
    word = next((w for w in rule.scope_words if w in firm.business_scope), None)
    if word:
        return _("Your business scope mentions “%(word)s”.") % {"word": word}
    return None


def recommend_one(firm: FirmView, item: ItemView) -> Recommendation | None:
    """The recommendation of one item for the firm, or None when nothing about the firm calls for it."""
    score, reasons, relevant = 0, [], False
    mode_rules = [m for m in MODE_RULES if m.fragment in item.name and firm.business_mode in m.modes]
    if item.growth_stages and firm.growth_stage not in item.growth_stages and not mode_rules:
        return None  # tagged for other stages (a start-up has no licence to renew or cancel yet)
    rule = industry_rule_of(item.name)
    if rule is not None:
        reason = _industry_reason(rule, firm)
        if reason is None:
            return None  # another industry's licence: never recommended, whatever else fits
        score, relevant = score + INDUSTRY_WEIGHT, True
        reasons.append(reason)
    if firm.growth_stage in item.growth_stages:
        score, relevant = score + STAGE_WEIGHT, True
        reasons.append(
            _("Suits a firm at your stage (%(stage)s).") % {"stage": label_of(GrowthStage, firm.growth_stage)}
        )
    for mode_rule in mode_rules:
        score, relevant = score + MODE_WEIGHT, True
        reasons.append(str(mode_rule.reason))
    if not relevant:
        return None
    if firm.business_mode in CROSS_PROVINCE_MODES and item.cross_province_mode:
        score += CROSS_PROVINCE_WEIGHT
        reasons.append(_("Handled across provinces (跨省通办): no trip to the approving district."))
    return Recommendation(item.version_id, score, tuple(reasons))


def recommend(firm: FirmView, items: Iterable[ItemView], *, limit: int = LIMIT) -> list[Recommendation]:
    """The firm's recommendations, heaviest first (then by item code), at most `limit`."""
    scored = [(rec, item.code) for item in items if (rec := recommend_one(firm, item)) is not None]
    scored.sort(key=lambda pair: (-pair[0].score, pair[1]))
    return [rec for rec, _code in scored[:limit]]
