"""The routing task's reads and its attempt counter, as plain SQL.

Routing runs once per transfer on every district's queue, and its statements are simple; on this
path Django's query compilation cost 0.3-0.8 ms a statement, 10-20 times what SQLite took to run
them (docs/benchmarks.md, "Case routing"). The statements are written out here, portable between
SQLite and PostgreSQL, with the tables' names taken from the models. Only those names (from the
models' `_meta`), fixed column lists and `%s` placeholders are put into the text; every value is a
query parameter (hence the `noqa: S608` on each statement). The rest of the transition
(the guarded state change and the hash-chained event) stays with the ORM in cases.services.routing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connection
from django.db.models import Model

from accounts.models import User
from cases import life_cycle
from cases.chain import chain_head_attach
from cases.models import Case, ClerkSkill
from standards.models import District, ItemImplementation, ItemVersion, ServiceWindow

M = TypeVar("M", bound=Model)

_CASE = Case._meta.db_table
_USER = User._meta.db_table
_SKILL = ClerkSkill._meta.db_table
_WINDOW = ServiceWindow._meta.db_table
_IMPLEMENTATION = ItemImplementation._meta.db_table
_VERSION = ItemVersion._meta.db_table
_DISTRICT = District._meta.db_table
_CASE_FIELDS = (
    "id",
    "reference",
    "state",
    "transfer_number",
    "routed_transfer_number",
    "routing_attempts",
    "applicant_id",
    "agent_id",
)
_WINDOW_COLUMNS = "w.id, w.code, w.active, w.open_weekdays, w.opens_at, w.closes_at"


@dataclass(frozen=True)
class Candidate:
    """A clerk of the approving district as routing weighs them."""

    clerk_id: int
    window: ServiceWindow
    skilled: bool
    load: int


def _window(row: Sequence[Any]) -> ServiceWindow:
    pk, code, active, open_weekdays, opens_at, closes_at = row
    return ServiceWindow(
        pk=pk, code=code, active=bool(active), open_weekdays=open_weekdays, opens_at=opens_at, closes_at=closes_at
    )


def count_attempt(*, case_id: int, transfer_number: int, max_attempts: int) -> bool:
    """Compare-and-set +1 on the case's routing attempts, committed on its own; False if not (or no longer) due."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_CASE} SET routing_attempts = routing_attempts + 1"  # noqa: S608 - names from _meta, values as parameters
            " WHERE id = %s AND state = %s AND transfer_number = %s AND routed_transfer_number < %s"
            " AND routing_poisoned = %s AND routing_attempts < %s",
            [case_id, life_cycle.AWAITING_ROUTING, transfer_number, transfer_number, False, max_attempts],
        )
        return bool(cursor.rowcount == 1)


def _partial(model: type[M], **values: Any) -> M:
    """An instance as `only(*values)` would load it: the other fields deferred (from_db wants field order)."""
    names = [field.attname for field in model._meta.concrete_fields if field.attname in values]
    return model.from_db(connection.alias, names, [values[name] for name in names])


def lock_case(case_id: int) -> Case | None:
    """The case row, locked (SQLite: the transaction already holds the write lock), with what routing reads.

    As `only()` would: the other fields are deferred. The districts' codes, the item version's
    item and sector come along; the head of the event chain is read after the lock (cases.chain.chain_head_attach).
    """
    lock = " FOR UPDATE OF c" if connection.features.has_select_for_update_of else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join('c.' + name for name in _CASE_FIELDS)},"  # noqa: S608 - names from _meta, values as parameters
            " c.item_version_id, v.item_id, v.sector, ad.id, ad.division_code, pd.id, pd.division_code"
            f" FROM {_CASE} c JOIN {_VERSION} v ON v.id = c.item_version_id"
            f" JOIN {_DISTRICT} ad ON ad.id = c.accepting_district_id"
            f" JOIN {_DISTRICT} pd ON pd.id = c.approving_district_id"
            f" WHERE c.id = %s{lock}",
            [case_id],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    case = _partial(Case, **dict(zip(_CASE_FIELDS, row, strict=False)))
    version_id, item_id, sector, accepting_id, accepting_code, approving_id, approving_code = row[len(_CASE_FIELDS) :]
    case.item_version = _partial(ItemVersion, id=version_id, item_id=item_id, sector=sector)
    case.accepting_district = _partial(District, id=accepting_id, division_code=accepting_code)
    case.approving_district = _partial(District, id=approving_id, division_code=approving_code)
    return chain_head_attach(case)


def item_window(*, item_id: int, district_id: int) -> ServiceWindow | None:
    """The window the item's implementation in this district names, if it is active there."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_WINDOW_COLUMNS} FROM {_WINDOW} w JOIN {_IMPLEMENTATION} i ON i.window_id = w.id"  # noqa: S608 - names from _meta, values as parameters
            " WHERE i.item_id = %s AND i.district_id = %s AND i.active = %s ORDER BY i.id LIMIT 1",
            [item_id, district_id, True],
        )
        row = cursor.fetchone()
    return _window(row) if row else None


def candidates(*, district_id: int, sector: str, load_states: tuple[str, ...]) -> list[Candidate]:
    """The district's active clerks with their window's hours, the item sector skill and their open load.

    The load counts only cases in `load_states`, through the (approving_district, state,
    approving_clerk) index: a clerk's closed cases are never read.
    """
    states = ", ".join(["%s"] * len(load_states))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT u.id, {_WINDOW_COLUMNS},"  # noqa: S608 - names from _meta, values as parameters
            f" EXISTS (SELECT 1 FROM {_SKILL} s WHERE s.clerk_id = u.id AND s.sector = %s)"
            f" FROM {_USER} u JOIN {_WINDOW} w ON w.id = u.window_id"
            " WHERE u.role = %s AND u.district_id = %s AND u.is_active = %s",
            [sector, User.Role.CLERK, district_id, True],
        )
        clerks = cursor.fetchall()
        if not clerks:
            return []
        cursor.execute(
            f"SELECT approving_clerk_id, COUNT(*) FROM {_CASE}"  # noqa: S608 - names from _meta, values as parameters
            f" WHERE approving_district_id = %s AND state IN ({states}) AND approving_clerk_id IS NOT NULL"
            " GROUP BY approving_clerk_id",
            [district_id, *load_states],
        )
        load = dict(cursor.fetchall())
    return [
        Candidate(clerk_id=row[0], window=_window(row[1:7]), skilled=bool(row[7]), load=load.get(row[0], 0))
        for row in clerks
    ]
