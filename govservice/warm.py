"""What a server process does once started, before its first request."""

from __future__ import annotations

import gc


def warm_and_freeze() -> None:
    """Build the search's segmenter dictionary and pinyin tables now rather than in the first search, then move
    everything loaded so far (Django, the apps' modules, those tables: hundreds of thousands of long-lived objects) out
    of the cyclic garbage collector's reach. Every full collection walked them all, and one page request in ten took
    30-40 ms more for it (the workbench's CPU p95 111 against a p50 of 67 ms in bench/pages_bench.py; 73 once
    frozen). Frozen objects are still freed by reference counting; only cycles among them would stay, and modules,
    classes and dictionaries loaded at start-up live as long as the process anyway."""
    from standards.text import warm_up

    warm_up()
    gc.collect()
    gc.freeze()
