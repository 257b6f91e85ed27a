"""Labels, badges and workbench shortcuts: read from the declared life cycle (cases.life_cycle)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django import template
from django.utils.translation import gettext_lazy

from cases import life_cycle

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User
    from cases.models import Case
    from cases.selectors.queues import QueueRow
    from standards.models import ItemVersion

register = template.Library()


@register.filter
def state_badge(state: str) -> str:
    return life_cycle.badge(state)


@register.filter
def state_label(state: str) -> str:
    return life_cycle.label(state)


@register.filter
def action_label(action: str) -> str:
    return life_cycle.event_label(action)


@register.filter
def accepts_agents(item_version: ItemVersion) -> bool:
    """Whether the version's standard lists a power of attorney, so an agent may apply (代办)."""
    from cases.selectors.competence import accepts_agents as item_accepts_agents

    return item_accepts_agents(item_version)


@register.simple_tag
def competence_question(item_version: ItemVersion, user: User | AnonymousUser, *, agent: bool = False) -> Any:
    """What the apply form asks for the item's competence rule (a place or a choice), for this user.

    In an agent's form the principal's places are not known yet: a place rule always asks (optional there:
    a place the principal's account records wins).
    """
    from cases.competence_rules import Places
    from cases.selectors import applicant_places
    from cases.selectors import competence_question as question

    if agent or not user.is_authenticated:
        places = Places(principal="unknown")
    else:
        firm = user.firm if user.role == "firm" else None
        places = applicant_places(principal="firm" if firm is not None else "person", account=user, firm=firm, given="")
    return question(item_version=item_version, places=places)


@register.filter
def named_items(data: object) -> list[dict[str, object]]:
    """The materials an event lists with their reasons (a correction's `items`), or nothing.

    Not `event.data.items` in a template: on an event without that key it is the dict's own `items` method,
    and the history would list every key as an empty row."""
    items = data.get("items") if isinstance(data, dict) else None
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


@register.simple_tag
def apply_choice(item_version: ItemVersion, user: User | AnonymousUser) -> Any:
    """The apply form's accepting districts (the nearest preselected) and the approving district, if known."""
    from cases.selectors.portal import apply_choice as choice

    return choice(item_version=item_version, user=user)


@register.simple_tag
def case_contact(case: Case) -> Any:
    """Who handles the case now and how to reach them (cases.selectors.portal.case_contact)."""
    from cases.selectors.portal import case_contact as contact

    return contact(case)


@register.filter
def entries_for(table: Mapping[int, list[Any]] | None, key: int) -> list[Any]:
    """`table[key]`, or an empty list (the draft page's own files per material: my_materials_for)."""
    return list((table or {}).get(key, []))


# The workbench's queue rows, written here rather than in a template: a desk lists a hundred rows, and the template
# engine spent some 40 ms a page resolving their two dozen variables each (cases/_queue_table.html has the table).
_QUEUE_ROW = (
    '<tr data-reference="{reference}"{row_class}>'
    '<td data-label="{l_reference}"><a href="{url}"><code>{reference}</code></a>{overdue}</td>'
    '<td data-label="{l_item}">{item}</td>'
    '<td data-label="{l_applicant}">{applicant}</td>'
    '<td data-label="{l_route}">{route}</td>'
    '<td data-label="{l_state}"><span class="badge {badge}" data-state>{state}</span>{held}{mine}</td>'
    '<td data-label="{l_promised}">{promised}</td>'
    '<td data-label="{l_waiting}"><time datetime="{waiting_iso}" title="{waiting_full}">{waiting_short}</time></td>'
    '<td data-label="{l_clerk}">{clerk}</td>'
    '<td class="actions">{quick}<a class="button small secondary" href="{url}">{l_open}</a></td>'
    "</tr>"
)
_QUICK_STEP = (
    '<form method="post" action="{action}" class="inline">'
    '<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
    '<input type="hidden" name="next" value="workbench">{inputs}'
    '<button class="button small" type="submit">{label}</button></form> '
)


# The queue table's columns, declared once for its header and for each cell's label (the phone's card layout);
# the last column, the actions, has no header.
QUEUE_COLUMNS = (
    ("reference", gettext_lazy("Reference")),
    ("item", gettext_lazy("Item")),
    ("applicant", gettext_lazy("Applicant")),
    ("route", gettext_lazy("From → to")),
    ("state", gettext_lazy("State")),
    ("promised", gettext_lazy("Promised by")),
    ("waiting", gettext_lazy("Waiting since")),
    ("clerk", gettext_lazy("Clerk")),
)


@register.simple_tag
def queue_header() -> str:
    """The queue table's header row."""
    from django.utils.html import format_html, format_html_join

    return format_html(
        "<tr>{}<th></th></tr>", format_html_join("", "<th>{}</th>", ((label,) for _name, label in QUEUE_COLUMNS))
    )


@register.simple_tag(takes_context=True)
def queue_rows(context: template.Context, rows: list[QueueRow]) -> str:
    """The <tr> of each queue row (selectors.queues.queue_row), its cells labelled for the phone's card layout."""
    from django.utils.html import format_html, format_html_join
    from django.utils.translation import gettext

    labels = {f"l_{name}": str(label) for name, label in QUEUE_COLUMNS}
    labels["l_open"] = gettext("Open the case")
    overdue = format_html(' <span class="badge bad">{}</span>', gettext("overdue"))
    held = format_html(' <span class="badge warn">{}</span>', gettext("held: no clerk"))
    mine = format_html(' <span class="badge">{}</span>', gettext("assigned to me"))
    csrf = str(context.get("csrf_token", ""))

    def values(row: QueueRow) -> dict[str, Any]:
        quick = row["quick"]
        return {
            **labels,
            "reference": row["reference"],
            "row_class": format_html(' class="{}"', "is-overdue") if row["overdue"] else "",
            "url": row["url"],
            "overdue": overdue if row["overdue"] else "",
            "item": row["item"],
            "applicant": row["applicant"],
            "route": row["route"],
            "badge": row["badge"],
            "state": row["state_label"],
            "held": held if row["held"] else "",
            "mine": mine if row["mine"] else "",
            "promised": row["promised"],
            "waiting_iso": row["waiting"].isoformat(),
            "waiting_full": row["waiting"].strftime("%Y-%m-%d %H:%M"),
            "waiting_short": row["waiting"].strftime("%m-%d %H:%M"),
            "clerk": row["clerk"],
            "quick": format_html(
                _QUICK_STEP,
                action=row["quick_url"],
                csrf=csrf,
                inputs=format_html_join("", '<input type="hidden" name="{}" value="{}">', quick.quick_inputs),
                label=quick.quick_label,
            )
            if quick is not None
            else "",
        }

    return format_html_join("", _QUEUE_ROW, (values(row) for row in rows))
