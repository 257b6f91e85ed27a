"""c9verify: check a C9 case offline — signed records, the event chain, anchors and documents.

Standalone on purpose: it imports the standard library and `cryptography` only, never Django nor the
project, so another province's system can run it on an exported case package with nothing but the
alliance registry's public keys: `python -m c9verify package.zip registry.json`.
"""

from c9verify.canonical import canonical_json, sha256_hex
from c9verify.checks import Bundle, Report, verify_bundle
from c9verify.merkle import leaf_hash, merkle_proof, merkle_root, root_from_proof
from c9verify.registry import Registry, RegistryKey

__all__ = [
    "Bundle",
    "Registry",
    "RegistryKey",
    "Report",
    "canonical_json",
    "leaf_hash",
    "merkle_proof",
    "merkle_root",
    "root_from_proof",
    "sha256_hex",
    "verify_bundle",
]
