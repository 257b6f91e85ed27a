"""The alliance registry: each district's Ed25519 public keys with their validity periods."""

from __future__ import annotations

import base64
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from c9verify.canonical import canonical_json


def parse_time(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class RegistryKey:
    key_id: str
    district: str
    district_name: str
    public_key: bytes  # raw 32 bytes
    valid_from: dt.datetime
    valid_until: dt.datetime | None

    def valid_at(self, when: dt.datetime) -> bool:
        return self.valid_from <= when and (self.valid_until is None or when < self.valid_until)


class Registry:
    def __init__(self, keys: list[RegistryKey]) -> None:
        self.keys = {key.key_id: key for key in keys}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Registry:
        return cls(
            [
                RegistryKey(
                    key_id=str(row["key_id"]),
                    district=str(row["district"]),
                    district_name=str(row.get("district_name", "")),
                    public_key=base64.b64decode(row["public_key"]),
                    valid_from=parse_time(row["valid_from"]),
                    valid_until=parse_time(row["valid_until"]) if row.get("valid_until") else None,
                )
                for row in data.get("keys", [])
            ]
        )

    @classmethod
    def load(cls, path: str | Path) -> Registry:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def district_name(self, code: str) -> str:
        return next(
            (key.district_name for key in self.keys.values() if key.district == code and key.district_name), code
        )

    def check(self, record: dict[str, Any]) -> tuple[dict[str, Any] | None, str]:
        """A signed record {"payload": canonical JSON text, "key_id", "signature": base64}: its payload if the
        signature is good, by a key of the district the payload names, valid when it says it was signed.

        Otherwise (None, problem): the problem starts with a stable code and a colon (`malformed`, `unknown_key`,
        `wrong_district`, `no_time`, `outside_period`, `bad_signature`), then the detail in English."""
        try:
            text = str(record["payload"])
            payload = json.loads(text)
            signature = base64.b64decode(record["signature"])
            key_id = str(record["key_id"])
        except (KeyError, TypeError, ValueError) as error:
            return None, f"malformed: malformed signed record ({error})"
        if not isinstance(payload, dict):
            return None, "malformed: malformed signed record (payload is not an object)"
        if canonical_json(payload) != text.encode():
            return None, "malformed: payload is not in canonical form"
        key = self.keys.get(key_id)
        if key is None:
            return None, f"unknown_key: key {key_id} is not in the registry"
        if key.district != payload.get("district"):
            named = payload.get("district")
            return None, f"wrong_district: signed with key {key_id} of district {key.district}, not of {named}"
        try:
            when = parse_time(str(payload.get("at", "")))
        except ValueError:
            return None, "no_time: no valid signing time"
        if not key.valid_at(when):
            return None, f"outside_period: key {key_id} was not valid at {payload.get('at')}"
        try:
            Ed25519PublicKey.from_public_bytes(key.public_key).verify(signature, text.encode())
        except (InvalidSignature, ValueError):
            return None, f"bad_signature: signature by {key_id} does not verify"
        return payload, ""
