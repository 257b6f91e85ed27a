"""A server process, once started, builds the search's dictionaries and freezes its start-up objects (warm.py)."""

from __future__ import annotations

import gc

from govservice.warm import warm_and_freeze


def test_the_start_up_objects_are_frozen_out_of_the_collectors_full_walks() -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        warm_and_freeze()
        # Django, the apps and the segmenter's dictionary: far more than a few thousand objects.
        assert gc.get_freeze_count() > 100_000
    finally:
        gc.unfreeze()  # the test process goes on as it was
