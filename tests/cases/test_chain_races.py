"""Two writers of one case's chain at once (PostgreSQL's row locks): the one that waited appends after the other.

The worker issuing a document and a clerk taking the next step both lock the case and append to its chain. The
step that waited for the lock must read the chain's head after the wait (cases.chain.chain_head_attach): read
with the locking statement, the head was the one from before the other writer's event, and the step failed on
the (case, seq) constraint with a 500.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from cases.chain import chain_verify, event_append
from cases.models import CaseEvent
from cases.services.guards import lock
from tests import factories as f
from tests.races import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_writer_that_waited_for_the_case_appends_after_the_one_that_held_it() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    case = f.submitted_case()
    before = CaseEvent.objects.filter(case=case).count()
    holding = threading.Event()

    def first() -> None:  # the worker issuing a paper: holds the case while it appends
        try:
            with transaction.atomic():
                event_append(case=lock(case), action="paper_issued", actor=None, data={"n": 1})
                holding.set()
                time.sleep(0.6)  # the second writer is now waiting for the row
        finally:
            holding.set()

    def second() -> None:  # the clerk's step: waits for the row, then appends
        holding.wait(10)
        with transaction.atomic():
            event_append(case=lock(case), action="material_checked", actor=None, data={"n": 2})

    run_together(first, second, timeout=30)
    seqs = list(CaseEvent.objects.filter(case=case).order_by("seq").values_list("seq", "action"))
    assert seqs[before:] == [(before + 1, "paper_issued"), (before + 2, "material_checked")]
    assert chain_verify(case=case).ok
