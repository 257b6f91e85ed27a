"""Notices: inbox entries and their email and SMS deliveries, choices, masking, retries, staff conditions, access."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import User
from cases import life_cycle, services
from cases.models import Case
from cases.services import routing as routing_services
from govservice import events
from notices import kinds, sms, tasks
from notices import services as notices
from notices.mail import FileEmailBackend
from notices.models import Notice
from tests import factories as f

if TYPE_CHECKING:
    from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks, SettingsWrapper

pytestmark = pytest.mark.django_db

SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


class FailingSms:
    """A gateway that is down."""

    def send(self, *, to: str, text: str, key: str) -> str:
        raise ConnectionError("gateway down")


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[int]]]:
    """The send_notices messages queued after commit (the worker's part is called by the tests)."""
    out: list[tuple[str, list[int]]] = []
    monkeypatch.setattr(tasks.send_notices, "delay", lambda key, ids: out.append((key, list(ids))))
    return out


@pytest.fixture
def pushed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(events, "dispatch", lambda messages, **kw: out.extend(messages))
    return out


@pytest.fixture
def citizen(db: None) -> User:
    return f.make_user("citizen", email="zhang.san@example.com", phone="13800138000")


@pytest.fixture
def clerk(db: None) -> User:
    return f.make_user("clerk", code=f.HUANGPU)


def correction(citizen: User, clerk: User, *, reason: str = "请按告知补正") -> Case:
    case = f.submitted_case(applicant=citizen, version=f.make_item())
    upload = case.materials.current_files().first()
    assert upload is not None
    services.case_material_check(
        case=case, material=upload, verdict="not_conforming", reason="复印件不清晰", actor=clerk
    )
    return services.case_request_correction(case=case, actor=clerk, reason=reason)


def sms_lines(settings: SettingsWrapper) -> list[dict[str, Any]]:
    path = Path(settings.SMS_FILE_PATH)
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def test_a_correction_request_writes_one_inbox_entry_and_sends_email_and_sms_once_after_commit(
    citizen: User,
    clerk: User,
    queued: list[tuple[str, list[int]]],
    pushed: list[tuple[str, dict[str, Any]]],
    settings: SettingsWrapper,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        case = correction(citizen, clerk)
    assert not queued, "nothing is queued before the step commits"
    for callback in callbacks:
        callback()
    notice = Notice.objects.get(recipient=citizen)
    assert queued == [(notice.key, [citizen.pk])]
    assert notice.kind == "case.correction_requested" and notice.link == f"/cases/{case.reference}/"
    assert notice.data["reference"] == case.reference and "复印件" not in notice.data["materials"]
    assert not notice.deliveries.exists() and notice.planned_at is None, "the worker plans the channels"
    with translation.override("en"):
        title_en, body_en = kinds.render(notice.kind, notice.data)
    assert title_en == f"Correction needed: {case.reference}"
    assert notice.data["materials_en"].isascii() and notice.data["materials_en"] in body_en, "English names in English"

    outcomes = notices.notices_send(key=notice.key, user_ids=[citizen.pk])
    assert [outcome.status for _, outcome in outcomes] == ["sent", "sent"]
    assert {d.channel: d.status for d in notice.deliveries.all()} == {"email": "sent", "sms": "sent"}
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["zhang.san@example.com"]
    assert case.reference in mail.outbox[0].subject
    assert mail.outbox[0].extra_headers["Message-ID"].startswith(f"<c9-notice-{notice.pk}-email@")
    lines = sms_lines(settings)
    assert len(lines) == 1 and lines[0]["to"] == "13800138000" and case.reference in lines[0]["text"]
    assert lines[0]["key"] == f"c9-notice-{notice.pk}-sms"
    assert (f"user.{citizen.pk}", {"type": "notices.unread", "unread": 1}) in pushed
    email = notice.deliveries.get(channel="email")
    assert email.attempts == 1 and email.sent_to == "z***@example.com"
    assert notice.deliveries.get(channel="sms").sent_to == "138****8000"

    # The message delivered again (a duplicate, the sweep): nothing is sent twice.
    notices.notices_send(key=notice.key, user_ids=[citizen.pk])
    assert notices.delivery_send(delivery_id=email.pk).status == "sent"
    assert len(mail.outbox) == 1 and len(sms_lines(settings)) == 1
    # The same step's notice written again (a redelivered task): still one entry.
    event = case.events.get(action="correction_requested")
    services.case_notices.step_notices(case, step=life_cycle.STEPS["request_correction"], event=event)
    assert Notice.objects.filter(recipient=citizen).count() == 1


def test_notices_carry_no_full_id_number_phone_number_or_hash(
    citizen: User, clerk: User, queued: list[tuple[str, list[int]]], pushed: list[Any], settings: SettingsWrapper
) -> None:
    assert citizen.id_number
    reason = f"身份证号 {citizen.id_number} 与电话 13912345678 不符，摘要 {SHA}"
    correction(citizen, clerk, reason=reason)
    notice = Notice.objects.get(recipient=citizen)
    notices.notices_send(key=notice.key, user_ids=[citizen.pk])
    title, body = kinds.render(notice.kind, notice.data)
    sent = [f"{title}{body}", f"{mail.outbox[0].subject}{mail.outbox[0].body}", sms_lines(settings)[0]["text"]]
    for text in sent:
        assert citizen.id_number not in text and "13912345678" not in text and SHA not in text
        assert citizen.masked_id_number in text and "139****5678" in text


def test_the_applicant_chooses_channels_page_and_api_and_staff_get_no_sms(
    citizen: User, clerk: User, queued: list[tuple[str, list[int]]]
) -> None:
    client = Client()
    client.force_login(citizen)
    assert client.get("/api/notices/preferences/").json() == {
        "inbox": True,
        "email": True,
        "sms": True,
        "sms_offered": True,
    }
    answer = client.put("/api/notices/preferences/", {"email": False, "sms": True}, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["email"] is False
    correction(citizen, clerk)
    notice = Notice.objects.get(recipient=citizen)
    notices.notices_send(key=notice.key, user_ids=[citizen.pk])
    assert [d.channel for d in notice.deliveries.all()] == ["sms"], "the inbox always, then only what was chosen"

    page = client.post(reverse("notices-preferences"), {"email": "1"})
    assert page.status_code == 302
    assert notices.preferences_of(User.objects.get(pk=citizen.pk)) == notices.Preferences(True, False, True)

    staff = Client()
    staff.force_login(clerk)
    assert staff.get("/api/notices/preferences/").json()["email"] is False, "staff: inbox only by default"
    chosen = staff.put("/api/notices/preferences/", {"email": True, "sms": True}, content_type="application/json")
    assert chosen.json() == {"inbox": True, "email": True, "sms": False, "sms_offered": False}


def test_a_failing_gateway_is_retried_with_back_off_recorded_and_given_up_never_failing_the_step(
    citizen: User,
    clerk: User,
    queued: list[tuple[str, list[int]]],
    pushed: list[Any],
    settings: SettingsWrapper,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.SMS_BACKEND = "tests.notices.test_notices.FailingSms"
    retries: list[tuple[Any, ...]] = []
    monkeypatch.setattr(tasks.deliver_notice, "apply_async", lambda args, countdown: retries.append((args, countdown)))
    case = correction(citizen, clerk)
    assert case.state == "correction_requested", "the step stands"
    notice = Notice.objects.get(recipient=citizen)

    assert tasks.send_notices(notice.key, [citizen.pk]) == 2
    sms_row = notice.deliveries.get(channel="sms")
    assert notice.deliveries.get(channel="email").status == "sent", "one channel's failure does not hold the other"
    assert sms_row.status == "pending" and sms_row.attempts == 1
    assert sms_row.last_error == "ConnectionError: gateway down"
    assert retries == [((sms_row.pk,), notices.backoff_seconds(1))]
    assert [notices.backoff_seconds(n) for n in (1, 2, 3)] == [2, 4, 8] and notices.backoff_seconds(30) == 600
    assert sms_row.next_attempt_at > timezone.now()

    for _ in range(notices.MAX_ATTEMPTS - 2):
        assert tasks.deliver_notice(sms_row.pk) == "retry"
    assert tasks.deliver_notice(sms_row.pk) == "failed"
    sms_row.refresh_from_db()
    assert sms_row.status == "failed" and sms_row.attempts == notices.MAX_ATTEMPTS
    assert tasks.deliver_notice(sms_row.pk) == "failed", "given up: not tried again"


def test_a_gateway_that_comes_back_sends_once_and_the_sweep_queues_what_stayed_pending(
    citizen: User,
    clerk: User,
    queued: list[tuple[str, list[int]]],
    pushed: list[Any],
    settings: SettingsWrapper,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.SMS_BACKEND = "tests.notices.test_notices.FailingSms"
    monkeypatch.setattr(tasks.deliver_notice, "apply_async", lambda *args, **kwargs: None)
    correction(citizen, clerk)
    notice = Notice.objects.get(recipient=citizen)
    tasks.send_notices(notice.key, [citizen.pk])
    sms_row = notice.deliveries.get(channel="sms")

    swept: list[int] = []
    monkeypatch.setattr(tasks.deliver_notice, "delay", swept.append)
    assert notices.delivery_sweep() == 0, "its retry is not due yet"
    # A notice whose message was lost (never planned) is queued again too.
    lost = Notice.objects.create(recipient=citizen, kind="case.withdrawn", key="lost", data={})
    assert not queued
    later = timezone.now() + dt.timedelta(minutes=15)
    assert notices.delivery_sweep(now=later) == 2 and swept == [sms_row.pk], "the sent email is not swept"
    assert queued == [("lost", [citizen.pk])]
    notices.notices_send(key=lost.key, user_ids=[citizen.pk])
    notices.delivery_sweep(now=later + dt.timedelta(minutes=15))
    assert queued == [("lost", [citizen.pk])], "planned: not queued again as a notice"

    settings.SMS_BACKEND = "notices.sms.FileSmsBackend"
    assert tasks.deliver_notice(sms_row.pk) == "sent"
    assert tasks.deliver_notice(sms_row.pk) == "sent"
    assert len(sms_lines(settings)) == 1
    sms_row.refresh_from_db()
    assert sms_row.attempts == 2 and sms_row.last_error == "ConnectionError: gateway down", "the failure stays recorded"


def test_the_file_backends_write_a_message_once_per_key(tmp_path: Path) -> None:
    gateway = sms.FileSmsBackend(tmp_path / "sms.jsonl")
    first = gateway.send(to="13800138000", text="一", key="k1")
    assert gateway.send(to="13800138000", text="一", key="k1") == first
    gateway.send(to="13800138000", text="二", key="k2")
    assert len((tmp_path / "sms.jsonl").read_text(encoding="utf-8").splitlines()) == 2

    backend = FileEmailBackend(file_path=str(tmp_path / "mail"))
    message = mail.EmailMessage("主题", "正文", "a@example.com", ["b@example.com"], headers={"Message-ID": "<k1@x>"})
    assert backend.send_messages([message]) == 1
    assert backend.send_messages([message]) == 1
    assert [p.name for p in (tmp_path / "mail").iterdir()] == ["k1@x.eml"]


def _closed_case(citizen: User, clerk: User, monkeypatch: pytest.MonkeyPatch) -> tuple[Case, User]:
    monkeypatch.setattr(routing_services, "_enqueue_route", lambda *args: True)
    shushan = f.make_user("clerk", code=f.SHUSHAN)
    case = f.accept_checked(f.submitted_case(applicant=citizen, version=f.make_item()), clerk)
    services.case_route(case_id=case.pk, transfer_number=case.transfer_number)
    case = services.case_review_start(case=Case.objects.get(pk=case.pk), actor=shushan)
    case = services.case_approve(case=case, actor=shushan, reason="材料齐全")
    case = services.case_deliver(case=case, actor=clerk, method="pickup")
    return services.case_close(case=case, actor=citizen), shushan


def test_the_steps_tell_the_applicant_pickup_in_its_own_words(
    citizen: User, clerk: User, queued: list[tuple[str, list[int]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _closed_case(citizen, clerk, monkeypatch)
    kinds_sent = list(Notice.objects.filter(recipient=citizen).order_by("pk").values_list("kind", flat=True))
    assert kinds_sent == ["case.accepted", "case.approved", "case.ready_for_pickup"]
    pickup = Notice.objects.get(recipient=citizen, kind="case.ready_for_pickup")
    assert "黄浦" in kinds.render(pickup.kind, pickup.data)[1]
    assert not Notice.objects.filter(recipient=clerk).exists(), "the steps tell the applicant, not the clerks"


def test_every_step_that_notifies_the_applicant_has_its_words() -> None:
    for step in life_cycle.STEPS.values():
        if life_cycle.Notify.APPLICANT in step.notice:
            assert f"case.{step.action}" in kinds.KINDS, step.name
    assert {"case.due_soon", "case.overdue", "case.statutory_overdue", "case.held", "case.bad_rating"} <= set(
        kinds.KINDS
    )


def test_staff_notices_come_once_per_case_and_condition(
    citizen: User, clerk: User, queued: list[tuple[str, list[int]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    supervisor = f.make_user("supervisor")
    other_clerk = f.make_user("clerk", code=f.HUANGPU)
    monkeypatch.setattr(routing_services, "_enqueue_route", lambda *args: True)
    case = f.accept_checked(f.submitted_case(applicant=citizen, version=f.make_item()), clerk)
    today = timezone.localdate()
    Case.objects.filter(pk=case.pk).update(promised_due=today + dt.timedelta(days=1))

    for _ in range(2):
        services.case_deadlines_scan(today=today)
    due_soon = Notice.objects.filter(kind="case.due_soon")
    assert sorted(due_soon.values_list("recipient_id", flat=True)) == sorted([clerk.pk, supervisor.pk])
    assert other_clerk.pk not in due_soon.values_list("recipient_id", flat=True), "the clerk in charge only"
    # Written again for the same deadline (another scan, a retry): no second notice.
    services.case_notices.staff_notice(
        case,
        kind="case.due_soon",
        condition="due_soon",
        due=today + dt.timedelta(days=1),
        district=case.accepting_district,
        clerk_id=clerk.pk,
    )
    assert due_soon.count() == 2
    # The deadline passes: one overdue notice each, and it stays until read.
    services.case_deadlines_scan(today=today + dt.timedelta(days=10))
    services.case_deadlines_scan(today=today + dt.timedelta(days=11))
    assert Notice.objects.filter(kind="case.overdue").count() == 2
    assert Notice.objects.filter(recipient=supervisor, read_at__isnull=True).count() == 2
    staff_notice = Notice.objects.get(recipient=supervisor, kind="case.due_soon")
    notices.notices_send(key=staff_notice.key, user_ids=[supervisor.pk])
    assert staff_notice.deliveries.count() == 0, "staff: the inbox only unless they chose email"


def test_a_case_held_without_a_clerk_and_a_bad_rating_reach_the_staff_once(
    citizen: User, clerk: User, queued: list[tuple[str, list[int]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    supervisor = f.make_user("supervisor")
    monkeypatch.setattr(routing_services, "_enqueue_route", lambda *args: True)
    held = f.accept_checked(f.submitted_case(applicant=citizen, version=f.make_item()), clerk)
    assert services.case_route(case_id=held.pk, transfer_number=held.transfer_number).status == "held"
    assert list(Notice.objects.filter(kind="case.held").values_list("recipient_id", flat=True)) == [supervisor.pk]

    case, _shushan = _closed_case(citizen, clerk, monkeypatch)
    services.case_rate(case=case, actor=citizen, score=1, attitude=1, speed=2, convenience=2, comment="太慢")
    bad = Notice.objects.filter(kind="case.bad_rating")
    assert sorted(bad.values_list("recipient_id", flat=True)) == sorted([clerk.pk, supervisor.pk])
    assert bad.first().data["score"] == 1  # type: ignore[union-attr]


def test_a_good_rating_tells_nobody(
    citizen: User, clerk: User, queued: list[tuple[str, list[int]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    f.make_user("supervisor")
    case, _shushan = _closed_case(citizen, clerk, monkeypatch)
    services.case_rate(case=case, actor=citizen, score=5, attitude=5, speed=5, convenience=5, comment="")
    assert not Notice.objects.filter(kind="case.bad_rating").exists()


def test_a_person_sees_and_reads_only_their_own_notices(
    citizen: User,
    clerk: User,
    queued: list[tuple[str, list[int]]],
    pushed: list[tuple[str, dict[str, Any]]],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    correction(citizen, clerk)
    mine = Notice.objects.get(recipient=citizen)
    other = f.make_user("citizen")
    stranger = Client()
    stranger.force_login(other)
    assert stranger.get("/api/notices/").json() == {"unread": 0, "results": []}
    assert stranger.post(f"/api/notices/{mine.pk}/read/").status_code == 404
    assert stranger.post(reverse("notices-read", args=[mine.pk])).status_code == 404
    assert "请按告知补正" not in stranger.get("/notices/").content.decode()
    assert Client().get("/api/notices/").status_code in {401, 403}
    assert Client().get("/notices/").status_code == 302

    owner = Client()
    owner.force_login(citizen)
    listed = owner.get("/api/notices/").json()
    assert listed["unread"] == 1 and listed["results"][0]["reference"] == mine.data["reference"]
    page = owner.get("/notices/").content.decode()
    assert "data-notices-unread >1</span>" in page or "data-notices-unread>1<" in page.replace(" ", "")
    with django_capture_on_commit_callbacks(execute=True):
        opened = owner.post(reverse("notices-read", args=[mine.pk]), {"open": "1"})
    assert opened.status_code == 302 and opened["Location"] == mine.link
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert owner.get("/api/notices/").json()["unread"] == 0
    assert (f"user.{citizen.pk}", {"type": "notices.unread", "unread": 0}) in pushed, "the header hears it live"


def test_routing_that_stopped_reaches_the_approving_district_and_supervisors_and_email_when_chosen(
    citizen: User, clerk: User, queued: list[tuple[str, list[int]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    supervisor = f.make_user("supervisor", email="jian.du@example.com")
    shushan = f.make_user("clerk", code=f.SHUSHAN)
    notices.preferences_set(user=supervisor, email=True, sms=True)
    monkeypatch.setattr(routing_services, "_enqueue_route", lambda *args: True)
    case = f.accept_checked(f.submitted_case(applicant=citizen, version=f.make_item()), clerk)
    Case.objects.filter(pk=case.pk).update(routing_attempts=services.MAX_ROUTING_ATTEMPTS)
    for _ in range(2):
        services.case_route(case_id=case.pk, transfer_number=case.transfer_number)
    stopped = Notice.objects.filter(kind="case.routing_stopped")
    assert sorted(stopped.values_list("recipient_id", flat=True)) == sorted([shushan.pk, supervisor.pk])
    assert clerk.pk not in stopped.values_list("recipient_id", flat=True), "the approving district's clerks"

    notice = stopped.get(recipient=supervisor)
    notices.notices_send(key=notice.key, user_ids=[supervisor.pk])
    assert [(d.channel, d.status) for d in notice.deliveries.all()] == [("email", "sent")], "email: chosen; no SMS"
    assert len(mail.outbox) == 1 and case.reference in mail.outbox[0].subject
