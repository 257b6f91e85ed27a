"""常用语 (canned replies): a clerk's own, kept from the console; a district's are kept in the admin."""

from __future__ import annotations

from django.utils.translation import gettext as _

from accounts.models import User
from govservice.errors import Conflict, Invalid, NotAllowed, NotFound
from helpdesk.models import CannedReply

# A clerk's own replies: enough for a working set, not a store of texts.
PERSONAL_REPLIES_MAX = 50
REPLY_MAX_LENGTH = 300


def canned_reply_add(*, clerk: User, text: str) -> CannedReply:
    if not clerk.is_clerk:
        raise NotAllowed(_("Only clerks keep canned replies."), code="not_a_clerk")
    text = " ".join((text or "").split())
    if not text:
        raise Invalid(_("Write the reply first."), code="empty")
    if len(text) > REPLY_MAX_LENGTH:
        raise Invalid(_("A reply is at most 300 characters."), code="too_long")
    mine = CannedReply.objects.filter(owner=clerk)
    if mine.count() >= PERSONAL_REPLIES_MAX:
        raise Conflict(_("You have 50 replies already: delete one first."), code="too_many")
    if mine.filter(text=text).exists():
        raise Conflict(_("You have this reply already."), code="duplicate")
    last = mine.order_by("-position").values_list("position", flat=True).first()
    return CannedReply.objects.create(owner=clerk, text=text, position=(last or 0) + 1)


def canned_reply_delete(*, clerk: User, reply_id: int) -> None:
    reply = CannedReply.objects.filter(pk=reply_id).first()
    if reply is None or (reply.owner_id is not None and reply.owner_id != clerk.pk):
        raise NotFound(_("No such reply."), code="not_found")
    if reply.owner_id is None:
        raise NotAllowed(_("The district's replies are kept by its administrators."), code="district_reply")
    reply.delete()
