"""Notices on the live stack: a real worker on the real broker, killed with SIGKILL mid-send and restarted."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil
import pytest
import websockets
from websockets.typing import Origin

from notices import services as notice_services
from notices.models import Notice, NoticeDelivery
from tests import factories as f
from tests.cases.test_live_routing import session_cookie, wait_for
from tests.notices.test_notices import correction

if TYPE_CHECKING:
    from tests.conftest import LiveStack

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _status(delivery: NoticeDelivery) -> tuple[str, int]:
    row = NoticeDelivery.objects.get(pk=delivery.pk)
    return row.status, row.attempts


def test_a_correction_request_reaches_inbox_email_and_sms_once_each_across_a_sigkill_mid_send(
    live_stack: LiveStack, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from govservice import stack
    from notices.tasks import send_notices

    queue = f"notices-kill-test-{uuid.uuid4().hex[:8]}"
    hold_file = tmp_path / "hold"
    hold_file.write_text("hold")
    # Only this test's worker takes this queue, and only it holds after handing a message to a backend.
    monkeypatch.setattr(
        notice_services, "_enqueue_send", lambda key, ids: send_notices.apply_async((key, ids), queue=queue)
    )
    var = Path(live_stack.env["VAR_DIR"])
    supervisor = stack.Supervisor()
    try:
        worker = supervisor.spawn(
            "notices-kill-worker",
            [
                *stack.celery_worker_args(concurrency=1, hostname=f"notices-{uuid.uuid4().hex[:6]}@%h", queues=[queue]),
                "--include",
                "tests.worker_hooks",
            ],
            env={**live_stack.env, "NOTICES_HOLD_FILE": str(hold_file)},
        )
        citizen = f.make_user("citizen", email="zhang.san@example.com", phone="13800138000")
        clerk = f.make_user("clerk", code=f.HUANGPU)

        heard: list[dict[str, Any]] = []
        listening = threading.Event()

        headers = {"Cookie": f"sessionid={session_cookie(citizen)}"}

        async def listen() -> None:
            async with websockets.connect(
                live_stack.ws("/ws/events/"), additional_headers=headers, origin=Origin(live_stack.http_url)
            ) as socket:
                assert json.loads(await socket.recv())["type"] == "hello"
                listening.set()
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    message = json.loads(await asyncio.wait_for(socket.recv(), deadline - time.monotonic()))
                    if message.get("type") == "notices.unread":
                        heard.append(message)
                        return

        listener = threading.Thread(target=lambda: asyncio.run(listen()), daemon=True)
        listener.start()
        assert listening.wait(30)

        case = correction(citizen, clerk, reason=f"请补正（申请人证件号 {citizen.id_number}）")
        notice = Notice.objects.get(recipient=citizen)

        # The worker plans the deliveries, hands the email to the file backend, counts the attempt, and dies
        # before recording it sent.
        def email_files() -> list[Path]:
            return sorted((var / "mail").glob(f"c9-notice-{notice.pk}-email@*.eml"))

        wait_for(lambda: notice.deliveries.count() == 2, timeout=90, what="the deliveries planned")
        by_email = notice.deliveries.get(channel="email")
        by_sms = notice.deliveries.get(channel="sms")
        wait_for(lambda: email_files() and _status(by_email) == ("pending", 1), timeout=90, what="the held send")
        time.sleep(0.3)
        assert _status(by_email) == ("pending", 1) and _status(by_sms) == ("pending", 0)
        children = psutil.Process(worker.pid).children(recursive=True)
        assert children, "the prefork pool has a child running the task"
        for child in children:
            os.kill(child.pid, signal.SIGKILL)
        hold_file.unlink()

        # reject_on_worker_lost puts the message back; a fresh child sends what is left, each once.
        wait_for(lambda: _status(by_email)[0] == _status(by_sms)[0] == "sent", timeout=90, what="both sent")
        assert _status(by_email) == ("sent", 2), "attempted again after the kill, with the same key"
        assert _status(by_sms) == ("sent", 1)
        files = email_files()
        assert len(files) == 1, "the email was written once"
        message = email.message_from_bytes(files[0].read_bytes(), policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        assert body is not None
        text = body.get_content()
        assert case.reference in str(message["subject"]) and case.reference in text
        assert message["to"] == "zhang.san@example.com"
        assert citizen.id_number not in text and citizen.masked_id_number in text
        lines = [json.loads(line) for line in (var / "sms.jsonl").read_text(encoding="utf-8").splitlines()]
        mine = [line for line in lines if line["key"] == f"c9-notice-{notice.pk}-sms"]
        assert len(mine) == 1 and mine[0]["to"] == "13800138000" and case.reference in mine[0]["text"]
        assert citizen.id_number not in mine[0]["text"]
        assert Notice.objects.filter(recipient=citizen).count() == 1

        # The header's count reached the applicant's open page, from the worker.
        listener.join(30)
        assert heard == [{"type": "notices.unread", "unread": 1}]

        # The same message once more (a duplicate, the sweep): nothing is sent again.
        import redis as redis_lib

        send_notices.apply_async((notice.key, [citizen.pk]), queue=queue)
        broker = redis_lib.Redis.from_url(os.environ["REDIS_URL"])
        wait_for(lambda: broker.llen(queue) == 0, timeout=30, what="the duplicate to be taken")
        time.sleep(1.0)
        assert len(email_files()) == 1
        lines = [json.loads(line) for line in (var / "sms.jsonl").read_text(encoding="utf-8").splitlines()]
        assert len([line for line in lines if line["key"] == f"c9-notice-{notice.pk}-sms"]) == 1
        assert _status(by_email) == ("sent", 2) and _status(by_sms) == ("sent", 1)
    finally:
        supervisor.stop_all()
