"""Issue 15: signed acceptance records, anchored chain heads, case packages and the offline verifier.

Each tampering is shown to be caught twice: by the approving district's recognition (trust.verification,
through cases.services.case_review_start) and by c9verify run on an exported package.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import User
from c9verify import Registry, leaf_hash, merkle_proof, merkle_root, root_from_proof
from c9verify.package import verify_package
from cases import services
from cases.chain import chain_verify
from cases.models import Case, CaseEvent, CaseMaterial, CaseState, CaseView
from standards.models import ItemVersion
from tests import factories as f
from trust import keys
from trust.anchors import anchor_create
from trust.keys import KeyUnavailable, key_rotate, registry_dict, signer_for
from trust.models import DistrictKey, SignedRecord, Verification
from trust.package import case_package

if TYPE_CHECKING:
    from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, SettingsWrapper

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def transferred(citizen: User, item: ItemVersion, clerk: User, capture: DjangoCaptureOnCommitCallbacks) -> Case:
    case = f.submitted_case(applicant=citizen, version=item)
    with capture(execute=False):
        case = f.accept_checked(case, clerk)
    services.case_route(case_id=case.pk, transfer_number=case.transfer_number)
    case = Case.objects.get(pk=case.pk)
    assert case.state == CaseState.TRANSFERRED
    return case


def registry() -> Registry:
    return Registry.from_dict(registry_dict())


def package_report(case: Case, tmp_path: Path, name: str = "case.zip") -> Any:
    path = tmp_path / name
    path.write_bytes(case_package(case, holder=f.SHUSHAN))
    return verify_package(path, registry())


def failures(checks: list[Any]) -> str:
    return " | ".join(c.message if hasattr(c, "message") else c["message"] for c in checks)


def refused_recognition(case: Case, clerk: User) -> str:
    """The recognition refused (the case stays transferred), the failure recorded: what failed, as c9verify says it
    (the refusal itself is in the page's language)."""
    with pytest.raises(services.ChainBroken) as error:
        services.case_review_start(case=case, actor=clerk)
    case.refresh_from_db()
    assert case.state == CaseState.TRANSFERRED
    verification = Verification.objects.filter(case=case).first()
    assert verification is not None and not verification.ok
    assert str(error.value).startswith("受理地的办件记录未通过验证")
    return " | ".join(check["message"] for check in verification.failures)


def rewrite_chain(case: Case, seq: int, **changes: Any) -> None:
    """What someone controlling the shared database can do: change an event and re-hash the chain after it."""
    previous = CaseEvent.objects.get(case=case, seq=seq - 1).hash
    for event in CaseEvent.objects.filter(case=case, seq__gte=seq).select_related("case").order_by("seq"):
        if event.seq == seq:
            for name, value in changes.items():
                setattr(event, name, value)
        event.prev_hash = previous
        event.hash = event.compute_hash()
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE cases_caseevent SET reason = %s, data = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [event.reason, json.dumps(event.data), event.prev_hash, event.hash, event.pk],
            )
        previous = event.hash


# --- the signed acceptance record -----------------------------------------------------------------


def test_the_acceptance_is_signed_in_its_step_with_what_the_window_answers_for(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    shushan_clerk: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    case = transferred(citizen, item, huangpu_clerk, django_capture_on_commit_callbacks)
    accepted = case.events.get(action="accepted")
    record = SignedRecord.objects.get(case=case, kind="acceptance")
    payload = record.data
    assert record.event_seq == accepted.seq and payload["chain_head"] == accepted.hash
    assert payload["district"] == f.HUANGPU and payload["district_name"] == "黄浦区"
    assert huangpu_clerk.window is not None
    assert payload["window"] == huangpu_clerk.window.code and payload["clerk"]["id"] == huangpu_clerk.pk
    assert payload["item"]["code"] == item.item.code and payload["item"]["version"] == item.number
    assert len(payload["item"]["sha256"]) == 64
    files = {m["material"]: m for m in payload["materials"] if m["material"]}
    uploads = CaseMaterial.objects.filter(case=case).current_files()
    assert files and set(files) == {m.pk for m in uploads}
    assert all(files[m.pk]["sha256"] == m.sha256 and files[m.pk]["verdict"] == "conforming" for m in uploads)
    assert payload["identity"]["method"] == "id_card_in_person"
    assert record.key_id == DistrictKey.objects.get(district__division_code=f.HUANGPU, valid_until=None).key_id

    case = services.case_review_start(case=case, actor=shushan_clerk)
    assert case.state == CaseState.IN_REVIEW
    verification = Verification.objects.get(case=case)
    assert verification.ok and not verification.failures
    assert any("acceptance signed by 黄浦区" in c["message"] for c in verification.checks)


def test_returns_decisions_and_delivery_are_signed_by_the_district_taking_them(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    shushan_clerk: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    tmp_path: Path,
) -> None:
    case = transferred(citizen, item, huangpu_clerk, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False):
        case = services.case_review_start(case=case, actor=shushan_clerk)
        first = case.materials.current_files().select_related("item_material").first()
        assert first is not None
        case = services.case_return(
            case=case,
            actor=shushan_clerk,
            reason="材料不符合审批地标准",
            materials=[(first.item_material, "户口簿复印件不清晰")],
        )
    returned = SignedRecord.objects.get(case=case, kind="return")
    assert returned.district_code == f.SHUSHAN and returned.data["reason"] == "材料不符合审批地标准"
    # Each material returned is signed with its own reason and the SHA-256 of the file judged.
    (named,) = returned.data["data"]["items"]
    assert named["reason"] == "户口簿复印件不清晰" and named["sha256"] == first.sha256
    assert named["item_material"] == first.item_material_id
    case = Case.objects.get(pk=case.pk)
    with django_capture_on_commit_callbacks(execute=False):
        case = services.case_accept(case=case, actor=huangpu_clerk)
    services.case_route(case_id=case.pk, transfer_number=case.transfer_number)
    case = Case.objects.get(pk=case.pk)
    with django_capture_on_commit_callbacks(execute=False):
        case = services.case_review_start(case=case, actor=shushan_clerk)
        case = services.case_approve(case=case, actor=shushan_clerk)
        case = services.case_deliver(case=case, actor=huangpu_clerk, method="elicence")
    kinds = list(SignedRecord.objects.filter(case=case).values_list("kind", "district_code"))
    assert kinds == [
        ("acceptance", f.HUANGPU),
        ("return", f.SHUSHAN),
        ("acceptance", f.HUANGPU),
        ("decision", f.SHUSHAN),
        ("delivery", f.HUANGPU),
    ]
    report = package_report(case, tmp_path)
    assert report.ok, failures(report.failures)


# --- tampering, caught by recognition and by the offline verifier ------------------------------------


def test_one_byte_of_a_stored_document_is_caught(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    shushan_clerk: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    case = transferred(citizen, item, huangpu_clerk, django_capture_on_commit_callbacks)
    assert package_report(case, tmp_path, "good.zip").ok
    material = CaseMaterial.objects.filter(case=case).current_files().first()
    assert material is not None
    path = Path(material.file.path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))

    alerts: list[tuple[list[str], dict[str, Any]]] = []
    monkeypatch.setattr(
        "trust.verification.events.send_on_commit", lambda groups, payload, **kw: alerts.append((groups, payload))
    )
    message = refused_recognition(case, shushan_clerk)
    assert material.item_material.name in message and "does not match the SHA-256 signed at acceptance" in message
    assert Verification.objects.get(case=case).failures[0]["data"] == {
        "problem": "mismatch",
        "name": material.item_material.name,
        "material": material.pk,
    }
    # Both districts and the supervisors hear of it.
    ((groups, payload),) = alerts
    assert payload["type"] == "case.verification_failed" and payload["reference"] == case.reference
    assert {f"district.{f.HUANGPU}", f"district.{f.SHUSHAN}"} <= set(groups)

    report = package_report(case, tmp_path, "tampered.zip")
    assert not report.ok
    assert [c.what for c in report.failures] == ["document"]


def test_one_field_of_an_event_is_caught(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    shushan_clerk: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    tmp_path: Path,
) -> None:
    case = transferred(citizen, item, huangpu_clerk, django_capture_on_commit_callbacks)
    event = case.events.get(action="identity_checked")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE cases_caseevent SET data = %s WHERE id = %s",
            [json.dumps({**event.data, "method": "video"}), event.pk],
        )
    message = refused_recognition(case, shushan_clerk)
    assert f"event {event.seq}" in message and "content does not match its hash" in message
    report = package_report(case, tmp_path)
    assert not report.ok and any(c.what == "chain" for c in report.failures)


def test_a_whole_chain_rewritten_and_rehashed_after_an_anchor_is_caught(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    shushan_clerk: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    tmp_path: Path,
) -> None:
    case = transferred(citizen, item, huangpu_clerk, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):  # the copies are written after commit
        anchor = anchor_create(f.HUANGPU)
    last = case.events.order_by("-seq")[0]
    assert last.action == "transferred"
    assert anchor is not None and [case.reference, last.seq, last.hash] in anchor.heads
    # The last event (the transfer, after the signed acceptance) rewritten and the chain re-hashed: the chain
    # and the acceptance record still verify; only the anchor can tell.
    rewrite_chain(case, last.seq, data={**last.data, "clerk": 999})
    assert chain_verify(case=case).ok
    message = refused_recognition(case, shushan_clerk)
    assert "rewritten after the anchor" in message and "acceptance" not in message
    report = package_report(case, tmp_path)
    assert [c.what for c in report.failures] == ["anchor"]


def test_an_acceptance_signed_with_another_districts_key_is_refused(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    shushan_clerk: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    tmp_path: Path,
) -> None:
    case = transferred(citizen, item, huangpu_clerk, django_capture_on_commit_callbacks)
    record = SignedRecord.objects.get(case=case, kind="acceptance")
    other = signer_for(f.SHUSHAN)
    SignedRecord.objects.filter(pk=record.pk).delete()
    SignedRecord.objects.create(
        case=case,
        kind=record.kind,
        event_seq=record.event_seq,
        district_code=record.district_code,
        key_id=other.key_id,
        payload=record.payload,
        signature=base64.b64encode(other.sign(record.payload.encode())).decode(),
        signed_at=record.signed_at,
    )
    message = refused_recognition(case, shushan_clerk)
    assert f"of district {f.SHUSHAN}, not of {f.HUANGPU}" in message
    report = package_report(case, tmp_path)
    assert not report.ok and {c.what for c in report.failures} == {"record", "step"}


def test_after_rotation_old_cases_still_verify_and_new_ones_use_the_new_key(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    shushan_clerk: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    tmp_path: Path,
) -> None:
    old_case = transferred(citizen, item, huangpu_clerk, django_capture_on_commit_callbacks)
    old_key = SignedRecord.objects.get(case=old_case).key_id
    new = key_rotate(f.HUANGPU)
    assert new.key_id != old_key
    assert DistrictKey.objects.get(key_id=old_key).valid_until is not None
    new_case = transferred(citizen, item, huangpu_clerk, django_capture_on_commit_callbacks)
    assert SignedRecord.objects.get(case=new_case).key_id == new.key_id
    for case in (old_case, new_case):
        report = package_report(case, tmp_path, f"{case.reference}.zip")
        assert report.ok, failures(report.failures)
        with django_capture_on_commit_callbacks(execute=False):
            assert services.case_review_start(case=case, actor=shushan_clerk).state == CaseState.IN_REVIEW


def test_a_district_without_a_registered_key_cannot_accept(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    settings: SettingsWrapper,
    tmp_path: Path,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.TRUST_KEYS_AUTO = False
    settings.TRUST_KEY_DIR = tmp_path / "no-keys"
    case = f.record_checks(f.submitted_case(applicant=citizen, version=item), huangpu_clerk)
    with pytest.raises(KeyUnavailable), django_capture_on_commit_callbacks(execute=False):
        services.case_accept(case=case, actor=huangpu_clerk)
    assert Case.objects.get(pk=case.pk).state == CaseState.SUBMITTED  # the acceptance rolled back with it
    assert not case.events.filter(action="accepted").exists()


def test_the_key_command_creates_files_readable_only_by_the_service_and_is_idempotent(
    settings: SettingsWrapper, tmp_path: Path
) -> None:
    settings.TRUST_KEY_DIR = tmp_path / "keys"
    settings.TRUST_KEYS_AUTO = False
    out = io.StringIO()
    call_command("district_keys", "create", stdout=out)
    assert out.getvalue().count("created") == 9
    assert stat.S_IMODE(os.stat(keys.key_path(f.HUANGPU)).st_mode) == 0o600
    out = io.StringIO()
    call_command("district_keys", "create", stdout=out)
    assert out.getvalue().count("kept") == 9 and DistrictKey.objects.count() == 9
    call_command("district_keys", "rotate", f.HUANGPU, stdout=io.StringIO())
    registry_file = tmp_path / "registry.json"
    call_command("district_keys", "registry", "--out", str(registry_file), stdout=io.StringIO())
    rows = json.loads(registry_file.read_text())["keys"]
    assert len(rows) == 10 and sum(1 for r in rows if r["district"] == f.HUANGPU) == 2


# --- the offline verifier in its own process ---------------------------------------------------------


def _rezip(source: Path, target: Path, change: dict[str, bytes]) -> Path:
    """A tampered copy whose manifest is updated too (as a careful forger would)."""
    with zipfile.ZipFile(source) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members.update(change)
    manifest = json.loads(members["manifest.json"])
    for name in change:
        manifest["files"][name] = hashlib.sha256(members[name]).hexdigest()
    members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(target, "w") as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return target


def _run_verifier(package: Path, registry_file: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO")}
    return subprocess.run(
        [sys.executable, "-m", "c9verify", str(package), str(registry_file)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_offline_verifier_passes_a_good_package_and_fails_each_tampered_one(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    tmp_path: Path,
) -> None:
    case = transferred(citizen, item, huangpu_clerk, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        anchor_create(f.HUANGPU)
    good = tmp_path / "good.zip"
    good.write_bytes(case_package(case, holder=f.SHUSHAN))
    registry_file = tmp_path / "registry.json"
    registry_file.write_text(json.dumps(registry_dict()))

    result = _run_verifier(good, registry_file)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "VERIFIED" in result.stdout and "acceptance signed by 黄浦区" in result.stdout and "[anchor]" in result.stdout
    )

    with zipfile.ZipFile(good) as archive:
        document = next(n for n in archive.namelist() if n.startswith("documents/"))
        body = bytearray(archive.read(document))
        events = json.loads(archive.read("events.json"))
        records = json.loads(archive.read("records.json"))
    body[len(body) // 2] ^= 0x01
    edited = json.loads(json.dumps(events))
    edited[2]["body"]["reason"] = "edited"
    # A rewritten tail re-hashed consistently: the chain links, the anchor does not.
    rehashed = json.loads(json.dumps(events))
    rehashed[-1]["body"]["data"] = {**rehashed[-1]["body"]["data"], "clerk": 999}
    from c9verify import canonical_json, sha256_hex

    rehashed[-1]["hash"] = sha256_hex(canonical_json(rehashed[-1]["body"]))
    other = signer_for(f.SHUSHAN)
    forged = [
        {**r, "key_id": other.key_id, "signature": base64.b64encode(other.sign(r["payload"].encode())).decode()}
        for r in records
    ]
    registry_file.write_text(json.dumps(registry_dict()))  # now with 蜀山's key too
    assert _run_verifier(good, registry_file).returncode == 0
    tampered = {
        "document": {document: bytes(body)},
        "event": {"events.json": json.dumps(edited).encode()},
        "rehashed": {"events.json": json.dumps(rehashed).encode()},
        "other_key": {"records.json": json.dumps(forged).encode()},
    }
    for name, change in tampered.items():
        result = _run_verifier(_rezip(good, tmp_path / f"{name}.zip", change), registry_file)
        assert result.returncode != 0, (name, result.stdout)
        assert "NOT VERIFIED" in result.stdout, (name, result.stdout)


def test_the_verifier_package_imports_nothing_of_django_or_the_project() -> None:
    code = (
        "import sys, c9verify, c9verify.package, c9verify.__main__;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'django','cases','trust','govservice','accounts','standards','helpdesk','seed'});"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO")}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("size", range(1, 10))
def test_every_leafs_merkle_proof_leads_to_the_root(size: int) -> None:
    leaves = [leaf_hash(f"C9{i}", i, f"{i:064x}") for i in range(size)]
    root = merkle_root(leaves)
    for index, leaf in enumerate(leaves):
        assert root_from_proof(leaf, merkle_proof(leaves, index)) == root
    assert root_from_proof(leaf_hash("C9X", 1, "0" * 64), merkle_proof(leaves, 0)) != root


# --- shown to people ----------------------------------------------------------------------------------


def test_the_case_page_shows_who_vouched_and_what_failed(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    shushan_clerk: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    client: Any,
) -> None:
    case = transferred(citizen, item, huangpu_clerk, django_capture_on_commit_callbacks)
    assert huangpu_clerk.window is not None
    window = huangpu_clerk.window.name
    client.force_login(shushan_clerk)
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert 'data-trust="verified"' in page and "黄浦区" in page and window in page
    client.force_login(citizen)
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert 'data-vouch="acceptance"' in page and "黄浦区" in page and 'data-trust="' not in page
    assert client.get(f"/cases/{case.reference}/package.zip").status_code == 404  # documents: staff only
    assert client.get("/trust/registry.json").json()["keys"]

    material = CaseMaterial.objects.filter(case=case).current_files().first()
    assert material is not None
    Path(material.file.path).write_bytes(b"%PDF-1.4 replaced")
    client.force_login(shushan_clerk)
    page = client.get(f"/cases/{case.reference}/").content.decode()
    assert 'data-trust="failed"' in page and material.item_material.name in page
    package = client.get(f"/cases/{case.reference}/package.zip")
    assert package.status_code == 200 and package["Content-Type"] == "application/zip"
    # The test client closed the response: the looks were written then (one per document in the package).
    looked = CaseView.objects.filter(case=case, viewer=shushan_clerk, what="material")
    assert list(looked.values_list("material_id", flat=True)) == [material.pk]


def test_anchors_chain_per_district_cover_only_new_touches_and_are_copied_to_every_district(
    citizen: User,
    item: ItemVersion,
    huangpu_clerk: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    settings: SettingsWrapper,
) -> None:
    from govservice.celery import app
    from trust.anchors import anchors_create_all

    assert app.conf.beat_schedule["trust-anchor-daily"]["task"] == "trust.anchor_all"
    first_case = transferred(citizen, item, huangpu_clerk, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        first = anchor_create(f.HUANGPU)
    assert first is not None and [h[0] for h in first.heads] == [first_case.reference]
    with django_capture_on_commit_callbacks(execute=True):
        assert anchor_create(f.HUANGPU) is None  # nothing touched since
    second_case = transferred(citizen, item, huangpu_clerk, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        made = anchors_create_all()
    second = next(a for a in made if a.district_code == f.HUANGPU)
    assert [h[0] for h in second.heads] == [second_case.reference]
    payload = json.loads(second.payload)
    assert payload["seq"] == 2 and payload["prev"] == hashlib.sha256(first.payload.encode()).hexdigest()
    assert payload["root"] == merkle_root([leaf_hash(*h) for h in second.heads])
    copies = sorted(p.parent.name for p in Path(settings.TRUST_ANCHOR_DIR).glob(f"*/{f.HUANGPU}-2.json"))
    assert len(copies) == 9
