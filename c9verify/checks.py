"""What verifying a case means, once, for the approving district's recognition and for the offline verifier.

A Bundle is a case as the verifier sees it: its events (each the canonical body and its hash), the signed
records of its steps, the anchors that cover it (each with the case's leaf and its Merkle proof), the pinned
item version's canonical content, and a way to hash each document. The checks:

1. the event chain: each event's hash is the SHA-256 of its canonical body, and points at the one before;
2. every signed record: a good Ed25519 signature by a key of the district it names, valid at its time, and
   the chain head it names (seq, hash) is the chain's;
3. each signed step's event (acceptance, return, decision, delivery) has its signed record, made by the
   district that took the step;
4. the latest acceptance record: the item version's content and every document match their signed SHA-256;
5. every anchor: signed by its district, the case's leaf leads to the signed Merkle root, and the chain still
   has that head — so a chain rewritten and re-hashed after an anchor no longer verifies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from c9verify.canonical import canonical_json, sha256_hex
from c9verify.merkle import leaf_hash, root_from_proof
from c9verify.registry import Registry

# The events whose step the district taking it signs, and the record's kind.
SIGNED_ACTIONS = {
    "accepted": "acceptance",
    "returned": "return",
    "approved": "decision",
    "refused": "decision",
    "delivered": "delivery",
}


@dataclass
class Bundle:
    reference: str
    events: list[dict[str, Any]]
    records: list[dict[str, Any]]
    anchors: list[dict[str, Any]]
    item: bytes | None
    document_sha256: Callable[[int], str | None]


@dataclass
class Check:
    ok: bool
    what: str  # a stable short name: chain, record, step, acceptance, document, item, anchor
    message: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    reference: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(check.ok for check in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]

    def passed(self, what: str, message: str, **data: Any) -> None:
        self.checks.append(Check(True, what, message, data))

    def failed(self, what: str, message: str, **data: Any) -> None:
        self.checks.append(Check(False, what, message, data))


def _chain(bundle: Bundle, report: Report) -> dict[int, str]:
    heads: dict[int, str] = {}
    previous = "0" * 64
    for expected, event in enumerate(bundle.events, start=1):
        body = event.get("body") or {}
        seq = body.get("seq")
        if seq != expected:
            report.failed("chain", f"event {expected} is missing (found {seq})", problem="missing", seq=expected)
            return heads
        if body.get("case") != bundle.reference:
            report.failed("chain", f"event {seq} belongs to another case", problem="other_case", seq=seq)
            return heads
        if body.get("prev") != previous:
            report.failed("chain", f"event {seq} does not point at the previous event", problem="unlinked", seq=seq)
            return heads
        if sha256_hex(canonical_json(body)) != event.get("hash"):
            report.failed(
                "chain", f"event {seq} ({body.get('action')}): content does not match its hash", problem="hash", seq=seq
            )
            return heads
        heads[seq] = str(event["hash"])
        previous = heads[seq]
    if not heads:
        report.failed("chain", "the case has no events", problem="empty")
    else:
        report.passed(
            "chain", f"event chain: {len(heads)} events, each hash links to the one before", events=len(heads)
        )
    return heads


def _who(registry: Registry, payload: dict[str, Any]) -> str:
    window = payload.get("window_name") or payload.get("window") or ""
    name = payload.get("district_name") or registry.district_name(str(payload.get("district", "")))
    return f"{name} {window}".strip()


def _records(bundle: Bundle, registry: Registry, report: Report, heads: dict[int, str]) -> dict[int, dict[str, Any]]:
    """The verified payloads by the event seq they sign."""
    verified: dict[int, dict[str, Any]] = {}
    for record in bundle.records:
        payload, problem = registry.check(record)
        kind = (payload or {}).get("kind", "record")
        if payload is None:
            code, _, detail = problem.partition(": ")
            report.failed("record", f"signed record refused: {detail}", problem=code, key_id=record.get("key_id"))
            continue
        seq = payload.get("event_seq")
        if payload.get("case") != bundle.reference:
            report.failed(
                "record", f"{kind} record is for case {payload.get('case')}, not this one", problem="other_case"
            )
            continue
        if not isinstance(seq, int) or heads.get(seq) != payload.get("chain_head"):
            report.failed(
                "record",
                f"{kind} record names chain head {str(payload.get('chain_head'))[:12]}… at event {seq}; "
                f"the chain has {str(heads.get(seq) if isinstance(seq, int) else None)[:12]}…",
                problem="head",
                kind=kind,
                seq=seq,
            )
            continue
        verified[seq] = payload
        report.passed(
            "record",
            f"{kind} signed by {_who(registry, payload)} (key {record.get('key_id')}), verified",
            kind=kind,
            seq=seq,
            district=payload.get("district"),
            window=payload.get("window"),
            key_id=record.get("key_id"),
        )
    return verified


def _steps(bundle: Bundle, report: Report, verified: dict[int, dict[str, Any]]) -> None:
    for event in bundle.events:
        body = event.get("body") or {}
        kind = SIGNED_ACTIONS.get(str(body.get("action")))
        if kind is None:
            continue
        payload = verified.get(body["seq"])
        if payload is None or payload.get("kind") != kind:
            report.failed(
                "step",
                f"event {body['seq']} ({body['action']}) has no verified signed {kind} record",
                problem="unsigned",
                seq=body["seq"],
                kind=kind,
            )
        elif body.get("district") and payload.get("district") != body.get("district"):
            report.failed(
                "step",
                f"event {body['seq']} ({body['action']}) was taken by {body.get('district')} "
                f"but signed by {payload.get('district')}",
                problem="other_district",
                seq=body["seq"],
                kind=kind,
            )


def _acceptance(bundle: Bundle, report: Report, verified: dict[int, dict[str, Any]]) -> None:
    accepted = [e["body"]["seq"] for e in bundle.events if (e.get("body") or {}).get("action") == "accepted"]
    if not accepted:
        return
    payload = verified.get(accepted[-1])
    if payload is None or payload.get("kind") != "acceptance":
        return  # reported by _steps
    item = payload.get("item") or {}
    if bundle.item is None:
        report.failed(
            "item",
            f"the content of item {item.get('code')} version {item.get('version')} is missing",
            problem="missing",
        )
    elif sha256_hex(bundle.item) != item.get("sha256"):
        report.failed(
            "item",
            f"item {item.get('code')} version {item.get('version')}: content differs from the signed one",
            problem="mismatch",
        )
    else:
        report.passed("item", f"item {item.get('code')} version {item.get('version')}: content as signed")
    for material in payload.get("materials") or []:
        name = material.get("name") or material.get("code")
        if not material.get("material"):
            continue  # spared by an electronic licence: no file
        actual = bundle.document_sha256(int(material["material"]))
        if actual is None:
            report.failed(
                "document",
                f"{name}: the document is missing",
                problem="missing",
                name=name,
                material=material["material"],
            )
        elif actual != material.get("sha256"):
            report.failed(
                "document",
                f"{name}: the stored file does not match the SHA-256 signed at acceptance",
                problem="mismatch",
                name=name,
                material=material["material"],
            )
        else:
            report.passed(
                "document",
                f"{name}: file SHA-256 {actual[:12]}… as signed, check “{material.get('verdict')}”",
                material=material["material"],
            )


def _anchors(bundle: Bundle, registry: Registry, report: Report, heads: dict[int, str]) -> None:
    for entry in bundle.anchors:
        payload, problem = registry.check(entry.get("anchor") or {})
        if payload is None or payload.get("kind") != "anchor":
            report.failed("anchor", f"anchor refused: {problem or 'not an anchor'}", problem="refused")
            continue
        leaf = entry.get("leaf") or ["", 0, ""]
        reference, seq, event_hash = str(leaf[0]), int(leaf[1]), str(leaf[2])
        label = f"anchor {payload.get('district')}#{payload.get('seq')} of {payload.get('at', '')[:10]}"
        if reference != bundle.reference:
            report.failed("anchor", f"{label} is for case {reference}", problem="other_case")
        elif root_from_proof(leaf_hash(reference, seq, event_hash), entry.get("proof") or []) != payload.get("root"):
            report.failed("anchor", f"{label}: the case's head does not lead to the signed Merkle root", problem="root")
        elif heads.get(seq) != event_hash:
            report.failed(
                "anchor",
                f"{label}: event {seq} no longer has the anchored hash — the chain was rewritten after the anchor",
                problem="rewritten",
                district=payload.get("district"),
                at=str(payload.get("at", ""))[:10],
                seq=seq,
            )
        else:
            report.passed("anchor", f"{label}: chain head at event {seq} anchored and unchanged", seq=seq)


def verify_bundle(bundle: Bundle, registry: Registry) -> Report:
    report = Report(bundle.reference)
    heads = _chain(bundle, report)
    verified = _records(bundle, registry, report, heads)
    _steps(bundle, report, verified)
    _acceptance(bundle, report, verified)
    _anchors(bundle, registry, report, heads)
    return report
