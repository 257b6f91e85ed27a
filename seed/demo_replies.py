"""Demo 常用语 (canned replies) of every district's clerks: neutral phrases of a video assistance call,
no facts about any item (those are in the item's standard). Idempotent."""

from __future__ import annotations

from django.db import transaction

from helpdesk.models import CannedReply
from standards.models import District

DEMO_REPLIES = (
    "您好，我是本次为您服务的帮办人员，请问有什么可以帮您？",
    "请稍候，我正在为您查询该事项的办理要求。",
    "请将证件正面对准摄像头，保持画面清晰，稍等片刻。",
    "您的材料我已看到，正在为您核对，请稍候。",
    "如通话中断，请重新点击“一键呼应”，我们会尽快为您接通。",
    "请问还有其他需要帮助的吗？",
    "本次帮办到此结束，感谢您的耐心，稍后请对本次服务进行评价。",
)


@transaction.atomic
def demo_replies_load() -> int:
    """Each district's replies, in this order; returns how many were added."""
    added = 0
    for district in District.objects.all():
        for position, text in enumerate(DEMO_REPLIES, start=1):
            _, created = CannedReply.objects.get_or_create(
                district=district, owner=None, text=text, defaults={"position": position}
            )
            added += created
    return added
