"""The dashboard's fixed words, through gettext (English msgids, French catalogue).

Looked up once per language and kept: gettext's language is a process-wide setting, and
the server renders pages in parallel threads, so templates receive these words ready
made instead of calling ``_()`` themselves.
"""

from __future__ import annotations

import threading

from rempart.core.model import Severity
from rempart.i18n import _
from rempart.report.words import language, severity_label

_cache: dict[str, dict[str, str]] = {}

# Held while gettext's process-wide language is switched (words, report models), so that
# two pages in two languages never build their words at the same time.
LANGUAGE_LOCK = threading.RLock()


def page_words(lang: str) -> dict[str, str]:
    """Every fixed word of the dashboard in ``lang`` ("fr" or "en")."""
    with LANGUAGE_LOCK:
        words = _cache.get(lang)
        if words is None:
            with language(lang):
                words = _words()
            _cache[lang] = words
        return words


def _words() -> dict[str, str]:
    severities = {f"sev_{s.value}": severity_label(s) for s in Severity}
    return severities | {
        # navigation and frame
        "app": _("Rempart dashboard"),
        "nav_overview": _("Overview"),
        "nav_findings": _("Findings"),
        "nav_assets": _("Devices"),
        "nav_audits": _("Audit history"),
        "nav_backups": _("Backups and drills"),
        "nav_sentinel": _("Sentinel"),
        "footer": _("Rempart runs on this computer only; nothing leaves the practice."),
        "skip": _("Skip to content"),
        # overview
        "grade": _("Grade of the practice"),
        "points": _("risk points"),
        "trend": _("Trend over the last audits"),
        "no_trend": _("One audit so far: the trend appears after the next one."),
        "top_actions": _("What to do first"),
        "grade_after": _("grade after"),
        "who": _("who"),
        "effort": _("effort"),
        "no_actions": _("Nothing to do: no finding left open."),
        "last_audit": _("Last audit"),
        "no_audit": _(
            "No audit yet. Run one with the button below, or with 'rempart audit' or "
            "'rempart demo'."
        ),
        "run_audit": _("Run an audit"),
        "run_drill": _("Run a restore drill"),
        "audit_running": _("An audit is running"),
        "drill_running": _("A restore drill is running"),
        "vault_missing": _(
            "No backup repository is configured: set [vault] repository in the settings, "
            "then run 'rempart backup run'."
        ),
        "drill_unavailable": _("Restore drills are not available in this version."),
        "audit_unavailable": _("Audits cannot be started from this dashboard."),
        # backup and sentinel
        "backups": _("Backups"),
        "last_backup": _("Last backup"),
        "never": _("never"),
        "backup_ok": _("succeeded"),
        "backup_failed": _("failed"),
        "backup_anomalous": _("succeeded, with anomalies to look at"),
        "immutable": _("immutable (Object Lock)"),
        "not_immutable": _("can be erased by an attacker"),
        "last_drill": _("Last restore drill"),
        "drill_ok": _("every file came back intact"),
        "drill_failed": _("failed"),
        "last_good_drill": _("Last successful drill"),
        "repository": _("Repository"),
        "no_backup": _("Rempart has not made any backup yet."),
        "sentinel": _("Sentinel"),
        "sentinel_on": _("watching"),
        "sentinel_off": _("not watching"),
        "sentinel_never": _("The sentinel has never run: start it with 'rempart watch'."),
        "folders": _("Folders"),
        "mode": _("Mode"),
        "heartbeat": _("Last sign of life"),
        "open_incidents": _("Open alerts"),
        "last_incident": _("Last alert"),
        "no_attack": _("No attack seen."),
        # findings
        "severity": _("Severity"),
        "status": _("Status"),
        "asset": _("Device"),
        "search": _("Search"),
        "all": _("all"),
        "apply": _("Apply"),
        "reset": _("Reset"),
        "status_new": _("new"),
        "status_open": _("still open"),
        "status_accepted": _("accepted"),
        "target": _("Target"),
        "first_seen": _("First seen"),
        "risk": _("Risk"),
        "remediation": _("What to do"),
        "evidence": _("What was seen"),
        "cves": _("Known vulnerabilities"),
        "accept": _("Accept this risk"),
        "accept_help": _(
            "Accepting a risk keeps it in the reports, at a lower weight, until the end date. "
            "Say why, for whoever reads the report next."
        ),
        "reason": _("Reason"),
        "until": _("Until"),
        "accepted_until": _("accepted until {date}"),
        "revoke": _("Revoke the acceptance"),
        "no_findings": _("No finding matches."),
        "shown": _("{shown} of {total} findings"),
        "previous": _("Previous"),
        "next": _("Next"),
        "accepted_ok": _(
            "Risk accepted: it stays in the reports, at a lower weight, until its end date."
        ),
        "revoked_ok": _("Acceptance revoked."),
        # assets
        "address": _("Address"),
        "hostname": _("Name"),
        "kind": _("Kind"),
        "services": _("Services"),
        "findings": _("Findings"),
        "port": _("Port"),
        "service": _("Service"),
        "product": _("Product"),
        "version": _("Version"),
        "banner": _("Banner"),
        "no_assets": _("No device in this audit."),
        "computers": _("Computers audited from inside"),
        "asset_nas": _("NAS (network storage)"),
        "asset_router": _("internet box or router"),
        "asset_printer": _("printer"),
        "asset_imaging": _("imaging"),
        "asset_server": _("server"),
        "asset_workstation": _("workstation"),
        "asset_computer": _("computer"),
        # audits
        "date": _("Date"),
        "targets": _("Targets"),
        "devices": _("Devices"),
        "change": _("Change since the previous audit"),
        "fixed": _("fixed"),
        "new": _("new"),
        "still_open": _("still open"),
        "first_audit": _("first audit"),
        "notes": _("What could not be checked"),
        "audit": _("Audit"),
        "duration": _("Duration"),
        "no_audits": _("No audit in the store."),
        # backups page
        "backup_runs": _("Backup runs"),
        "started": _("Started"),
        "files": _("Files"),
        "read": _("Read"),
        "added": _("Added"),
        "anomalies": _("Anomalies"),
        "drills": _("Restore drills"),
        "kind_sample": _("sample"),
        "kind_full": _("full"),
        "result": _("Result"),
        "size": _("Size"),
        "detail": _("Detail"),
        "snapshot": _("Snapshot"),
        "no_runs": _("No backup run recorded."),
        "no_drills": _("No restore drill recorded."),
        "state_running": _("running"),
        # sentinel page
        "incidents": _("Alerts"),
        "runs": _("Sentinel runs"),
        "folder": _("Folder"),
        "actor": _("Process"),
        "user": _("User"),
        "score": _("Score"),
        "action": _("Action taken"),
        "files_affected": _("Files touched"),
        "drill": _("exercise"),
        "timeline": _("Timeline"),
        "reason_label": _("Why"),
        "action_killed": _("process stopped"),
        "action_suspended": _("process suspended"),
        "action_named": _("process named"),
        "action_none": _("alert only"),
        "incident_open": _("open"),
        "incident_closed": _("closed"),
        "no_incidents": _("No alert recorded."),
        "no_sentinel_runs": _("The sentinel has not run yet."),
        "host": _("Computer"),
        "stopped": _("Stopped"),
        # jobs
        "job_audit": _("Audit of the practice"),
        "job_drill": _("Restore drill"),
        "job_running": _("In progress…"),
        "job_done": _("Finished."),
        "job_failed": _("Failed."),
        "phase_scan": _("Port scan"),
        "phase_identify": _("Identifying services"),
        "phase_restore": _("Restoring and checking files"),
        "see_audit": _("See the new audit"),
        "back": _("Back to the overview"),
        "refresh_note": _("This page refreshes itself every two seconds."),
        # errors
        "error": _("Something is wrong"),
        "csrf_refused": _(
            "This form is out of date or did not come from the dashboard: reload the page "
            "and try again."
        ),
        "not_found": _("This page does not exist."),
        "bad_request": _("The request is not valid."),
    }
