"""Anchoring chain heads: each district signs, at least daily and on demand, a Merkle root over the heads of
every case chain it touched since its last anchor; a copy of each anchor is kept by every member district.

An anchor's payload: the district, its number (anchors of a district are numbered and each names the SHA-256
of the one before, `prev`), the time, the period it covers, the number of heads and the root. The heads
themselves ([reference, seq, hash], sorted) travel beside the payload, so a verifier can rebuild the root and
give any one case its Merkle proof (c9verify.merkle).

Where the copies are kept: `TRUST_ANCHOR_DIR` (default `var/anchors/`) / `<holding district>` / `<anchoring
district>-<number>.json`. On one machine this is a stand-in for each district's own store; recognition reads
the approving district's copy, not the shared database, so whoever rewrites the database and re-hashes a
chain cannot make it match an anchor already kept.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import threading
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from c9verify import Registry, canonical_json, leaf_hash, merkle_proof, merkle_root, sha256_hex
from cases.models import CaseEvent
from standards.models import District
from trust.keys import signer_for
from trust.models import Anchor

GENESIS = "0" * 64


def anchor_dir() -> Path:
    return Path(getattr(settings, "TRUST_ANCHOR_DIR", Path(settings.VAR_DIR) / "anchors"))


def _heads_touched(district_code: str, since: dt.datetime | None, until: dt.datetime) -> list[list[Any]]:
    """[reference, seq, hash] of the current head of every case with an event of the district in the period."""
    touched = CaseEvent.objects.filter(district_code=district_code, created_at__lte=until)
    if since is not None:
        touched = touched.filter(created_at__gt=since)
    case_ids = touched.values("case_id").distinct()
    last = CaseEvent.objects.filter(case_id__in=case_ids).values("case_id").annotate(seq=Max("seq"))
    pairs = {(row["case_id"], row["seq"]) for row in last}
    heads = [
        [event.case.reference, event.seq, event.hash]
        for event in CaseEvent.objects.filter(case_id__in=[c for c, _ in pairs]).select_related("case")
        if (event.case_id, event.seq) in pairs
    ]
    return sorted(heads)


def anchor_create(district_code: str, *, now: dt.datetime | None = None) -> Anchor | None:
    """Anchor the heads the district touched since its last anchor (None when it touched nothing)."""
    now = now or timezone.now()
    with transaction.atomic():
        previous = Anchor.objects.select_for_update().filter(district_code=district_code).order_by("-seq").first()
        since = previous.anchored_at if previous else None
        heads = _heads_touched(district_code, since, now)
        if not heads:
            return None
        signer = signer_for(district_code)
        seq = (previous.seq + 1) if previous else 1
        payload: dict[str, Any] = {
            "v": 1,
            "kind": "anchor",
            "district": district_code,
            "seq": seq,
            "prev": sha256_hex(previous.payload.encode()) if previous else GENESIS,
            "at": now.isoformat(timespec="microseconds"),
            "since": since.isoformat(timespec="microseconds") if since else None,
            "count": len(heads),
            "root": merkle_root([leaf_hash(*head) for head in heads]),
        }
        text = canonical_json(payload)
        anchor = Anchor.objects.create(
            district_code=district_code,
            seq=seq,
            key_id=signer.key_id,
            payload=text.decode(),
            signature=base64.b64encode(signer.sign(text)).decode(),
            heads=heads,
            anchored_at=now,
        )
        transaction.on_commit(lambda: anchor_replicate(anchor))
    return anchor


def anchors_create_all(*, now: dt.datetime | None = None) -> list[Anchor]:
    """Every district's anchor (the daily beat; also on demand): those that touched nothing make none."""
    made = []
    for code in District.objects.order_by("division_code").values_list("division_code", flat=True):
        anchor = anchor_create(code, now=now)
        if anchor is not None:
            made.append(anchor)
    return made


def anchor_file(anchor: Anchor) -> dict[str, Any]:
    return {**anchor.as_signed(), "heads": anchor.heads}


def anchor_replicate(anchor: Anchor) -> None:
    """Write the anchor to every member district's store (written once; an existing copy is never replaced)."""
    body = json.dumps(anchor_file(anchor), ensure_ascii=False).encode()
    for code in District.objects.values_list("division_code", flat=True):
        folder = anchor_dir() / code
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{anchor.district_code}-{anchor.seq}.json"
        if path.exists():
            continue
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(body)
        os.replace(tmp, path)


# A holder's verified anchors, parsed once per process: {path: (mtime_ns, {reference: entry})}.
_held: dict[Path, tuple[int, dict[str, dict[str, Any]]]] = {}
_held_lock = threading.Lock()


def _index(path: Path, registry: Registry) -> dict[str, dict[str, Any]]:
    """One anchor file, by the references it covers: the entry c9verify checks (anchor, leaf, proof)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    heads = [list(h) for h in data.get("heads", [])]
    leaves = [leaf_hash(str(h[0]), int(h[1]), str(h[2])) for h in heads]
    signed = {"payload": data.get("payload"), "key_id": data.get("key_id"), "signature": data.get("signature")}
    payload, _problem = registry.check(signed)
    if payload is None or payload.get("root") != merkle_root(leaves):
        # A damaged copy covers nothing it can prove; c9verify reports the signature or root failure.
        return {str(h[0]): {"anchor": signed, "leaf": h, "proof": []} for h in heads}
    return {str(h[0]): {"anchor": signed, "leaf": h, "proof": merkle_proof(leaves, i)} for i, h in enumerate(heads)}


def anchors_covering(reference: str, *, holder: str, registry: Registry) -> list[dict[str, Any]]:
    """The anchors in the holder district's store that cover the case, each as c9verify's entry."""
    folder = anchor_dir() / holder
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.json")):
        stamp = path.stat().st_mtime_ns
        with _held_lock:
            cached = _held.get(path)
            if cached is None or cached[0] != stamp:
                cached = (stamp, _index(path, registry))
                _held[path] = cached
        entry = cached[1].get(reference)
        if entry is not None:
            found.append(entry)
    return found
