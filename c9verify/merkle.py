"""The Merkle tree over the chain heads an anchor covers (RFC 6962 style: leaves and nodes hashed apart).

A head is (case reference, event seq, event hash). An odd node at the end of a level is carried up as it is.
"""

from __future__ import annotations

import hashlib


def leaf_hash(reference: str, seq: int, event_hash: str) -> str:
    return hashlib.sha256(b"\x00" + f"{reference}\n{seq}\n{event_hash}".encode()).hexdigest()


def _node(left: str, right: str) -> str:
    return hashlib.sha256(b"\x01" + bytes.fromhex(left) + bytes.fromhex(right)).hexdigest()


def merkle_root(leaves: list[str]) -> str:
    if not leaves:
        return hashlib.sha256(b"").hexdigest()
    level = list(leaves)
    while len(level) > 1:
        level = [_node(level[i], level[i + 1]) if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)]
    return level[0]


def merkle_proof(leaves: list[str], index: int) -> list[list[str]]:
    """The siblings from leaf `index` up to the root: [["L"|"R", hash], ...] (the side the sibling is on)."""
    proof: list[list[str]] = []
    level = list(leaves)
    while len(level) > 1:
        sibling = index ^ 1
        if sibling < len(level):
            proof.append(["L" if sibling < index else "R", level[sibling]])
        level = [_node(level[i], level[i + 1]) if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)]
        index //= 2
    return proof


def root_from_proof(leaf: str, proof: list[list[str]]) -> str:
    node = leaf
    for side, sibling in proof:
        node = _node(sibling, node) if side == "L" else _node(node, sibling)
    return node
