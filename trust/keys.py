"""District signing keys: where the private key lives (a `Signer`), the registry of public keys, rotation.

The private key of a district is a PEM file (PKCS#8, Ed25519) named by the settings — `TRUST_KEY_DIR`
(default `var/keys/`) / `<division code>.pem` — created with mode 0600 and read only by the service. The
`Signer` protocol is the seam where a hardware security module or a key service can stand instead: name a
factory in `TRUST_SIGNER` (a dotted path to a callable taking the division code and returning a Signer).

The registry (DistrictKey) holds the public keys with their validity periods; `registry_dict` is its JSON
form for c9verify. Rotation writes a new key file, closes the old key's period and opens the new one: records
signed before stay verifiable, new ones are signed with the new key.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from govservice.errors import Conflict
from standards.models import District
from trust.models import DistrictKey


class KeyUnavailable(Conflict):
    """The district has no usable signing key: nothing can be signed in its name."""

    default_code = "signing_key_unavailable"


class Signer(Protocol):
    district_code: str
    key_id: str

    def sign(self, message: bytes) -> bytes: ...


def raw_public(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id_for(district_code: str, public_raw: bytes) -> str:
    return f"{district_code}-{hashlib.sha256(public_raw).hexdigest()[:16]}"


def key_dir() -> Path:
    return Path(getattr(settings, "TRUST_KEY_DIR", Path(settings.VAR_DIR) / "keys"))


def key_path(district_code: str) -> Path:
    return key_dir() / f"{district_code}.pem"


def _write_key(path: Path, key: Ed25519PrivateKey) -> None:
    """Write atomically, readable by the service's user only (0600 from creation, in a 0700 directory)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


@dataclass
class _Loaded:
    stamp: tuple[int, int]
    key: Ed25519PrivateKey
    key_id: str


_cache: dict[Path, _Loaded] = {}
_cache_lock = threading.Lock()


class FileSigner:
    """Signs with the district's key file (read once per process, again when the file changes)."""

    def __init__(self, district_code: str) -> None:
        self.district_code = district_code
        self.path = key_path(district_code)
        loaded = self._load()
        self.key_id = loaded.key_id
        self._key = loaded.key

    def _load(self) -> _Loaded:
        try:
            stat = self.path.stat()
        except FileNotFoundError as error:
            raise KeyUnavailable(
                _("District %(code)s has no signing key: run “manage.py district_keys create”.")
                % {"code": self.district_code}
            ) from error
        stamp = (stat.st_mtime_ns, stat.st_ino)
        with _cache_lock:
            loaded = _cache.get(self.path)
            if loaded is None or loaded.stamp != stamp:
                key = serialization.load_pem_private_key(self.path.read_bytes(), password=None)
                if not isinstance(key, Ed25519PrivateKey):
                    raise KeyUnavailable(
                        _("The key file of %(code)s is not an Ed25519 key.") % {"code": self.district_code}
                    )
                loaded = _Loaded(stamp, key, key_id_for(self.district_code, raw_public(key)))
                _cache[self.path] = loaded
        return loaded

    def public_raw(self) -> bytes:
        return raw_public(self._key)

    def sign(self, message: bytes) -> bytes:
        return self._key.sign(message)


# The registry's answer "this key is the district's current one", kept a minute per process (a rotation
# changes the key file, so the next signature asks again at once).
REGISTRY_TTL = 60.0
_registered: dict[str, tuple[str, float]] = {}


def signer_for(district_code: str) -> Signer:
    """The district's signer, checked against the registry: its key must be the district's current one.

    With TRUST_KEYS_AUTO (tests, demos) a missing key file is created and a key the registry lacks is entered.
    """
    factory = import_string(getattr(settings, "TRUST_SIGNER", "trust.keys.FileSigner"))
    auto = bool(getattr(settings, "TRUST_KEYS_AUTO", False))
    if auto and not key_path(district_code).exists() and factory is FileSigner:
        key_create(district_code)
    signer: Signer = factory(district_code)
    checked = _registered.get(district_code)
    if (
        not auto
        and checked is not None
        and checked[0] == signer.key_id
        and time.monotonic() - checked[1] < REGISTRY_TTL
    ):
        return signer
    current = DistrictKey.objects.filter(district__division_code=district_code, valid_until__isnull=True).first()
    if current is not None and current.key_id == signer.key_id:
        _registered[district_code] = (signer.key_id, time.monotonic())
    else:
        if auto and isinstance(signer, FileSigner):
            _register(district_code, signer.public_raw())
        else:
            raise KeyUnavailable(
                _("The signing key of %(code)s is not its current key in the alliance registry.")
                % {"code": district_code}
            )
    return signer


def _register(district_code: str, public_raw: bytes) -> DistrictKey:
    """Enter a public key as the district's current one (closing the period of the previous one)."""
    now = timezone.now()
    key_id = key_id_for(district_code, public_raw)
    with transaction.atomic():
        existing = DistrictKey.objects.filter(key_id=key_id).first()
        if existing is not None and existing.valid_until is None:
            return existing
        district = District.objects.get(division_code=district_code)
        DistrictKey.objects.filter(district=district, valid_until__isnull=True).update(valid_until=now)
        if existing is not None:  # a retired key cannot come back: its period is closed for good
            raise KeyUnavailable(_("Key %(key)s was retired and cannot be used again.") % {"key": key_id})
        return DistrictKey.objects.create(
            district=district, key_id=key_id, public_key=base64.b64encode(public_raw).decode(), valid_from=now
        )


def key_create(district_code: str) -> tuple[DistrictKey, bool]:
    """The district's key: created (file and registry) if it has none; idempotent. Returns (key, created)."""
    path = key_path(district_code)
    created = False
    if not path.exists():
        _write_key(path, Ed25519PrivateKey.generate())
        created = True
    signer = FileSigner(district_code)
    current = DistrictKey.objects.filter(key_id=signer.key_id, valid_until__isnull=True).first()
    if current is None:
        current, created = _register(district_code, signer.public_raw()), True
    return current, created


def key_rotate(district_code: str) -> DistrictKey:
    """A new key for the district: the old one's period closes now (its signatures stay valid), the new one opens."""
    key = Ed25519PrivateKey.generate()
    registered = _register(district_code, raw_public(key))
    _write_key(key_path(district_code), key)
    return registered


def registry_dict() -> dict[str, Any]:
    """The alliance registry as c9verify reads it (registry.json)."""
    rows = DistrictKey.objects.select_related("district").order_by("district__division_code", "valid_from")
    return {
        "alliance": "C9",
        "keys": [
            {
                "key_id": row.key_id,
                "district": row.district.division_code,
                "district_name": row.district.name,
                "public_key": row.public_key,
                "valid_from": row.valid_from.isoformat(),
                "valid_until": row.valid_until.isoformat() if row.valid_until else None,
            }
            for row in rows
        ],
    }
