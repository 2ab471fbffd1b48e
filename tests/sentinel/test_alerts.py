"""Alerts against a real SMTP server (aiosmtpd) and a real webhook receiver, on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from rich.console import Console

from rempart import i18n
from rempart.config import AlertSettings
from rempart.sentinel.alerts import Alerter, incident_payload
from rempart.sentinel.response import Candidate
from rempart.sentinel.service import Incident


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.received = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        self.received.set()
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, _Mailbox]]:
    mailbox = _Mailbox()

    def authenticator(server, session, envelope, mechanism, data):
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            b"cabinet",
            b"s3cret",
        )
        return AuthResult(success=ok)

    port = _free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    try:
        yield port, mailbox
    finally:
        controller.stop()


class _Receiver:
    def __init__(self, status: int) -> None:
        self.status = status
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.received = threading.Event()


@pytest.fixture
def webhook() -> Iterator[tuple[str, _Receiver]]:
    receiver = _Receiver(204)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.requests.append((dict(self.headers), body))
            self.send_response(receiver.status)
            self.end_headers()
            receiver.received.set()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", receiver
    finally:
        server.shutdown()
        server.server_close()


def _incident(drill: bool = False) -> Incident:
    now = datetime.now(UTC)
    return Incident(
        id=7,
        started_at=now,
        detected_at=now,
        started_mono=0.0,
        detected_mono=0.1,
        folder=Path("/srv/patients"),
        actor_pid=4242,
        actor_name="lockbit.exe",
        actor_user="accueil",
        score=100.0,
        reasons=("canary file touched: !!!_0000_ne_pas_supprimer_rempart.docx",),
        action="killed",
        candidates=(Candidate(99, "evil", "accueil", None, 1, 5000),),
        files=[Path("/srv/patients/dupont.jpg")],
        drill=drill,
    )


def test_email_reaches_the_smtp_server_with_login_from_the_environment(smtp) -> None:
    i18n.set_language("en")
    port, mailbox = smtp
    settings = AlertSettings(
        desktop=False,
        email_to=("dentiste@cabinet.test",),
        email_from="rempart@cabinet.test",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
        smtp_user="cabinet",
        smtp_password_env="REMPART_TEST_SMTP_PASSWORD",
    )
    alerter = Alerter(settings, env={"REMPART_TEST_SMTP_PASSWORD": "s3cret"})
    [delivery] = alerter.send(_incident())
    assert delivery.ok, delivery.detail
    assert mailbox.received.wait(10)
    sender, rcpts, content = mailbox.messages[0]
    message = message_from_bytes(content)
    assert (sender, rcpts) == ("rempart@cabinet.test", ["dentiste@cabinet.test"])
    assert "ALERT" in message["Subject"] and "/srv/patients" in message["Subject"]
    body = message.get_payload(decode=True).decode()
    assert "lockbit.exe (pid 4242) was stopped (killed)" in body
    assert "unplug this computer from the network" in body


def test_a_wrong_password_is_a_failed_delivery_not_an_exception(smtp) -> None:
    port, mailbox = smtp
    settings = AlertSettings(
        desktop=False,
        email_to=("dentiste@cabinet.test",),
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
        smtp_user="cabinet",
        smtp_password_env="REMPART_TEST_SMTP_PASSWORD",
        timeout=3.0,
    )
    [delivery] = Alerter(settings, env={"REMPART_TEST_SMTP_PASSWORD": "wrong"}).send(_incident())
    assert not delivery.ok and delivery.detail.startswith("SMTP")
    assert not mailbox.messages


def test_starttls_refused_by_the_server_is_reported(smtp) -> None:
    port, _mailbox = smtp
    settings = AlertSettings(
        desktop=False, email_to=("a@b.test",), smtp_host="127.0.0.1", smtp_port=port
    )
    [delivery] = Alerter(settings, env={}).send(_incident())
    assert not delivery.ok and "STARTTLS" in delivery.detail


def test_webhook_posts_json_signed_with_hmac(webhook) -> None:
    url, receiver = webhook
    settings = AlertSettings(desktop=False, webhook_url=url, webhook_secret_env="HOOK_SECRET")
    [delivery] = Alerter(settings, env={"HOOK_SECRET": "k3y"}).send(_incident(drill=True))
    assert delivery.ok and delivery.detail == "HTTP 204"
    headers, body = receiver.requests[0]
    expected = hmac.new(b"k3y", body, hashlib.sha256).hexdigest()
    assert headers["X-Rempart-Signature"] == f"sha256={expected}"
    data = json.loads(body)
    assert data["type"] == "rempart.sentinel.incident" and data["drill"] is True
    assert data["actor"] == {"pid": 4242, "name": "lockbit.exe", "user": "accueil"}
    assert data["action"] == "killed" and data["files_affected"] == 1
    assert data == incident_payload(_incident(drill=True)) | {
        "detected_at": data["detected_at"],
        "started_at": data["started_at"],
    }


def test_a_failing_channel_does_not_stop_the_others(webhook, smtp) -> None:
    url, receiver = webhook
    receiver.status = 500
    port, mailbox = smtp
    settings = AlertSettings(
        desktop=True,
        webhook_url=url,
        email_to=("a@b.test",),
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
    )
    out = io.StringIO()
    deliveries = Alerter(settings, console=Console(file=out, width=120), env={}).send(_incident())
    by = {d.channel: d for d in deliveries}
    assert set(by) == {"console", "desktop", "email", "webhook"}
    assert by["console"].ok and "lockbit.exe" in out.getvalue()
    assert not by["webhook"].ok and "500" in by["webhook"].detail
    assert by["email"].ok and mailbox.received.wait(10)


def test_without_notify_send_the_desktop_channel_says_so(monkeypatch) -> None:
    i18n.set_language("en")
    monkeypatch.setenv("PATH", "/nonexistent")
    [delivery] = Alerter(AlertSettings(desktop=True), env={}).send(_incident())
    assert not delivery.ok and "notify-send is not installed" in delivery.detail


def test_what_cannot_work_is_said_at_start(monkeypatch) -> None:
    i18n.set_language("en")
    monkeypatch.setenv("PATH", "/nonexistent")
    settings = AlertSettings(
        desktop=True,
        email_to=("a@b.test",),
        smtp_user="cabinet",
        smtp_password_env="REMPART_TEST_NOPE",
        webhook_url="http://127.0.0.1:9/",
        webhook_secret_env="REMPART_TEST_NOPE2",
    )
    problems = Alerter(settings, env={}).problems()
    assert len(problems) == 4
    assert "notify-send is not installed" in problems[0]
    assert "smtp_host is empty" in problems[1]
    assert "REMPART_TEST_NOPE" in problems[2] and "REMPART_TEST_NOPE2" in problems[3]
    assert Alerter(AlertSettings(desktop=False), env={}).problems() == []
