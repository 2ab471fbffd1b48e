"""Telling people: console, desktop notification, email, webhook.

Every channel is tried on its own; a channel that fails (no ``notify-send``, SMTP server
down, webhook answering 500) never stops the others nor the response: :meth:`Alerter.send`
returns one :class:`Delivery` per channel and the service writes them in the incident's
timeline. Secrets (SMTP password, webhook HMAC key) are read from the environment variables
the settings name, never from the settings file itself.

Webhook body: JSON (see :func:`incident_payload`); with a secret, header
``X-Rempart-Signature: sha256=<hex HMAC-SHA256 of the body>``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import smtplib
import ssl
import subprocess
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from rempart.config import AlertSettings
from rempart.i18n import _


@dataclass(frozen=True)
class Delivery:
    channel: str  # "console" | "desktop" | "email" | "webhook"
    ok: bool
    detail: str


def incident_payload(incident: Any) -> dict[str, Any]:
    """The facts of an incident as plain JSON (no file content, no patient data: paths only
    under the protected folder, at most 20)."""
    return {
        "type": "rempart.sentinel.incident",
        "id": incident.id,
        "drill": incident.drill,
        "folder": str(incident.folder),
        "detected_at": incident.detected_at.isoformat(),
        "started_at": incident.started_at.isoformat(),
        "actor": {
            "pid": incident.actor_pid,
            "name": incident.actor_name,
            "user": incident.actor_user,
        },
        "action": incident.action,
        "score": round(float(incident.score), 2),
        "reasons": list(incident.reasons),
        "files_affected": incident.files_affected,
        "files": [str(p) for p in list(incident.files)[:20]],
        "candidates": [{"pid": c.pid, "name": c.name, "user": c.user} for c in incident.candidates],
    }


def action_sentence(incident: Any) -> str:
    who = incident.actor_name or "?"
    if incident.action == "killed":
        return _("The process {name} (pid {pid}) was stopped (killed).").format(
            name=who, pid=incident.actor_pid
        )
    if incident.action == "suspended":
        return _("The process {name} (pid {pid}) was suspended.").format(
            name=who, pid=incident.actor_pid
        )
    if incident.candidates:
        names = ", ".join(c.label() for c in incident.candidates)
        return _("Nothing was stopped. Likely culprits: {names}.").format(names=names)
    if incident.actor_pid:
        return _("Nothing was stopped. Culprit: {name} (pid {pid}).").format(
            name=who, pid=incident.actor_pid
        )
    return _("Nothing was stopped and the culprit is unknown.")


def summary(incident: Any) -> tuple[str, str]:
    """Subject and body, in the current language."""
    if incident.drill:
        subject = _("[Rempart] Drill: encryption detected in {folder}").format(
            folder=incident.folder
        )
    else:
        subject = _("[Rempart] ALERT: files being encrypted in {folder}").format(
            folder=incident.folder
        )
    lines = [
        subject,
        "",
        action_sentence(incident),
        _("Files affected: {n}").format(n=incident.files_affected),
        _("Why: {reasons}").format(reasons="; ".join(incident.reasons) or "-"),
        _("Detected at: {at}").format(at=incident.detected_at.strftime("%Y-%m-%d %H:%M:%S %Z")),
        "",
        _(
            "What to do: unplug this computer from the network, do not switch it off, and call "
            "your IT provider. Run `rempart watch --status` to see the incident."
        ),
    ]
    return subject, "\n".join(lines)


class Alerter:
    """Sends an incident to every configured channel."""

    def __init__(
        self,
        settings: AlertSettings | None = None,
        console: Console | None = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings or AlertSettings()
        self.console = console
        self.env = env if env is not None else os.environ

    def channels(self) -> list[str]:
        s = self.settings
        out = []
        if self.console is not None:
            out.append("console")
        if s.desktop:
            out.append("desktop")
        if s.email_to and s.smtp_host:
            out.append("email")
        if s.webhook_url:
            out.append("webhook")
        return out

    def problems(self) -> list[str]:
        """What is configured but cannot work, to say once at start (not at the incident)."""
        s = self.settings
        out = []
        if s.desktop and shutil.which("notify-send") is None:
            out.append(
                _(
                    "No desktop notification: notify-send is not installed (on Debian or "
                    "Ubuntu: apt install libnotify-bin); set [alerts] desktop = false to "
                    "silence this."
                )
            )
        if s.email_to and not s.smtp_host:
            out.append(_("[alerts] email_to is set but smtp_host is empty: no email will be sent."))
        if s.smtp_user and s.smtp_password_env and not self.env.get(s.smtp_password_env):
            out.append(
                _(
                    "The variable {env} (SMTP password) is not set: the email may be refused."
                ).format(env=s.smtp_password_env)
            )
        if s.webhook_secret_env and not self.env.get(s.webhook_secret_env):
            out.append(
                _(
                    "The variable {env} (webhook secret) is not set: the webhook will be unsigned."
                ).format(env=s.webhook_secret_env)
            )
        return out

    def send(self, incident: Any) -> list[Delivery]:
        results = []
        for channel in self.channels():
            try:
                detail = getattr(self, f"_{channel}")(incident)
                results.append(Delivery(channel, True, detail))
            except Exception as exc:
                results.append(Delivery(channel, False, f"{type(exc).__name__}: {exc}"[:300]))
        return results

    # -- channels --------------------------------------------------------------------------

    def _console(self, incident: Any) -> str:
        assert self.console is not None
        subject, body = summary(incident)
        style = "yellow" if incident.drill else "bold red"
        text = body.split("\n", 2)[2]  # the subject is the panel's title
        self.console.print(
            Panel(escape(text), title=escape(subject), border_style=style), highlight=False
        )
        return "printed"

    def _desktop(self, incident: Any) -> str:
        tool = shutil.which("notify-send")
        if tool is None:
            raise RuntimeError(_("no desktop notification: notify-send is not installed"))
        subject, _body = summary(incident)
        proc = subprocess.run(
            [tool, "--urgency=critical", "--app-name=Rempart", subject, action_sentence(incident)],
            capture_output=True,
            timeout=self.settings.timeout,
            check=False,
        )
        if proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise RuntimeError(err[0] if err else f"notify-send exit {proc.returncode}")
        return "notify-send"

    def _email(self, incident: Any) -> str:
        s = self.settings
        subject, body = summary(incident)
        msg = EmailMessage()
        msg["Subject"] = subject
        msg["From"] = s.email_from or f"rempart@{s.smtp_host}"
        msg["To"] = ", ".join(s.email_to)
        msg.set_content(body)
        with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.timeout) as smtp:
            if s.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if s.smtp_user:
                password = self.env.get(s.smtp_password_env, "") if s.smtp_password_env else ""
                smtp.login(s.smtp_user, password)
            smtp.send_message(msg)
        return ", ".join(s.email_to)

    def _webhook(self, incident: Any) -> str:
        s = self.settings
        body = json.dumps(incident_payload(incident), ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json", "User-Agent": "rempart-sentinel"}
        secret = self.env.get(s.webhook_secret_env, "") if s.webhook_secret_env else ""
        if secret:
            digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
            headers["X-Rempart-Signature"] = f"sha256={digest}"
        if not s.webhook_url.lower().startswith(("http://", "https://")):
            raise ValueError(_("the webhook URL must start with http:// or https://"))
        request = urllib.request.Request(  # noqa: S310 - scheme checked above
            s.webhook_url, data=body, headers=headers, method="POST"
        )
        with urllib.request.urlopen(request, timeout=s.timeout) as answer:  # noqa: S310
            status = answer.status
        return f"HTTP {status}"
