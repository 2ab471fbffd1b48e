"""The practice's action plan: the findings grouped into the actions that fix them.

One action may fix several findings ("Désactiver SMBv1" on three PCs, "Mettre à jour le
NAS" for all its CVE findings). What each action fixes, who does it, how long it takes and
its words (fr, en) are data, in ``actions.toml`` beside this module; every check of Rempart
is covered by exactly one action.

Each action says how many risk points it wins: the score of the findings without the ones
it fixes, subtracted from the score of all of them (:func:`rempart.core.scoring.score`), and
the grade that would give. Actions come sorted by gain, then by effort (the quick ones
first), then by ID, so that the plan is the same from run to run. Accepted risks are left
out of the plan: somebody decided to live with them until their end date.
"""

from __future__ import annotations

import ipaddress
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from pathlib import Path

from rempart.checks import Who, get_meta
from rempart.core.errors import DataError
from rempart.core.model import Finding
from rempart.core.protection import BackupStatus
from rempart.core.scoring import (
    Score,
    cents,
    finding_key,
    grade_for,
    matches,
    points_of,
    score,
)
from rempart.i18n import _
from rempart.report.words import language

ACTIONS_FILE = Path(__file__).with_name("actions.toml")

WHO = ("dentist", "assistant", "it_provider", "vendor")
EFFORTS = ("minutes", "hours", "days")
GROUPS = ("all", "host", "finding")

_WHO_ENUM = {
    "dentist": Who.DENTIST,
    "assistant": Who.ASSISTANT,
    "it_provider": Who.IT_PROVIDER,
    "vendor": Who.SOFTWARE_VENDOR,
}


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """One entry of ``actions.toml``."""

    id: str
    checks: tuple[str, ...]
    group: str
    who: str
    effort: str
    title: Mapping[str, str]
    detail: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Action:
    """One thing to do, the findings it fixes and what it wins.

    ``gain_points``/``grade_after``: this action alone. ``cumulative_points``/
    ``cumulative_grade``: this action and every one before it in the plan done.
    ``targets``: the devices concerned, as a person names them ("nas (127.42.0.30)").
    """

    id: str
    title: str
    detail: str
    who: str
    who_label: str
    effort: str
    effort_label: str
    gain_points: float
    grade_after: str
    findings: tuple[Finding, ...]
    targets: tuple[str, ...] = ()
    cumulative_points: float = 0.0
    cumulative_grade: str = ""


@cache
def action_specs() -> tuple[ActionSpec, ...]:
    """The actions of ``actions.toml``, checked for shape (a bad file is a DataError)."""
    try:
        data = tomllib.loads(ACTIONS_FILE.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DataError(f"Cannot read {ACTIONS_FILE}: {exc}. Reinstall Rempart.") from exc
    specs = []
    seen: set[str] = set()
    for number, raw in enumerate(data.get("action", []), start=1):
        try:
            spec = ActionSpec(
                id=str(raw["id"]),
                checks=tuple(str(c) for c in raw["checks"]),
                group=str(raw.get("group", "all")),
                who=str(raw["who"]),
                effort=str(raw["effort"]),
                title=dict(raw["title"]),
                detail=dict(raw["detail"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(
                f"{ACTIONS_FILE}: action number {number} lacks {exc}. Reinstall Rempart."
            ) from exc
        problems = [
            f"group {spec.group!r}" if spec.group not in GROUPS else "",
            f"who {spec.who!r}" if spec.who not in WHO else "",
            f"effort {spec.effort!r}" if spec.effort not in EFFORTS else "",
            "duplicate id" if spec.id in seen else "",
            "no checks" if not spec.checks else "",
            "missing fr/en words"
            if not all(spec.title.get(k) and spec.detail.get(k) for k in ("fr", "en"))
            else "",
        ]
        if any(problems):
            raise DataError(
                f"{ACTIONS_FILE}: action {spec.id}: " + ", ".join(p for p in problems if p)
            )
        seen.add(spec.id)
        specs.append(spec)
    return tuple(specs)


@cache
def spec_for(check_id: str) -> ActionSpec:
    """The action that fixes a check; a generic one for a check no action names (a check
    of another version of Rempart: the plan still shows it)."""
    for spec in action_specs():
        if matches(check_id, spec.checks):
            return spec
    meta = get_meta(check_id)
    title = meta.title if meta is not None else None
    remediation = meta.remediation if meta is not None else None
    return ActionSpec(
        id=f"fix-{check_id.lower()}",
        checks=(check_id,),
        group="all",
        who="it_provider",
        effort="hours",
        title={"fr": title.fr if title else check_id, "en": title.en if title else check_id},
        detail={
            "fr": remediation.fr if remediation else "",
            "en": remediation.en if remediation else "",
        },
    )


def who_label(who: str, lang: str) -> str:
    """The person's label, capitalised: "Le prestataire informatique", "The IT provider"."""
    label = _WHO_ENUM[who].label.get(lang) if who in _WHO_ENUM else who
    return label[:1].upper() + label[1:]


def effort_label(effort: str) -> str:
    """In the current language (inside :func:`rempart.report.words.language`)."""
    labels = {
        "minutes": _("A few minutes"),
        "hours": _("A few hours"),
        "days": _("A few days"),
    }
    return labels.get(effort, effort)


def address_order(address: str) -> tuple[int, int, str]:
    """IP addresses first, in numeric order (.9 before .10), then names."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return (1, 0, address.lower())
    return (0, int(ip), "")


def target_label(address: str | None, names: Mapping[str, str]) -> str:
    """A device as a person names it: "nas (127.42.0.30)", or the address alone."""
    if not address:
        return ""
    name = names.get(address)
    return f"{name} ({address})" if name and name != address else address


def build_plan(
    findings: Sequence[Finding],
    *,
    protection: BackupStatus | None = None,
    accepted: frozenset[str] = frozenset(),
    lang: str = "fr",
    names: Mapping[str, str] | None = None,
    now: datetime | None = None,
    scored: Score | None = None,
) -> tuple[Action, ...]:
    """The plan: actions sorted by gain, then effort, then ID; words in ``lang``.

    ``names`` maps an address to the device's name, for the titles ("Mettre à jour nas").
    ``protection``, ``accepted`` and ``now`` are passed to the score, as for the grade;
    ``scored``: that score when the caller already has it (the same arguments).
    """
    names = names or {}
    base = scored or score(findings, protection=protection, accepted=accepted, now=now)
    weight = {c.key: cents(c) for c in base.breakdown}
    total = sum(weight.values())
    groups: dict[tuple[str, str], tuple[ActionSpec, dict[str, Finding]]] = {}
    for f in sorted(findings, key=lambda f: (*f.sort_key, f.transport or "")):
        key = finding_key(f)
        if key in accepted:
            continue
        spec = spec_for(f.check_id)
        if spec.group == "host":
            part = f.address or ""
        elif spec.group == "finding":
            part = key
        else:
            part = ""
        groups.setdefault((spec.id, part), (spec, {}))[1].setdefault(key, f)

    def points_without(removed: set[str]) -> float:
        return points_of(total - sum(weight.get(k, 0) for k in removed))

    drafts = []
    with language(lang) as code:
        for (action_id, part), (spec, by_key) in groups.items():
            fixed = list(by_key.values())
            keys = set(by_key)
            after = points_without(keys)
            addresses = sorted({f.address for f in fixed if f.address}, key=address_order)
            targets = tuple(target_label(a, names) for a in addresses)
            title = spec.title[code]
            if "{target}" in title:
                title = title.replace("{target}", targets[0] if targets else _("this device"))
            drafts.append(
                (
                    Action(
                        id=action_id if not part else f"{action_id}@{part}",
                        title=title,
                        detail=spec.detail[code],
                        who=spec.who,
                        who_label=who_label(spec.who, code),
                        effort=spec.effort,
                        effort_label=effort_label(spec.effort),
                        gain_points=round(base.points - after, 1),
                        grade_after=grade_for(after),
                        findings=tuple(fixed),
                        targets=targets,
                    ),
                    keys,
                )
            )
    drafts.sort(key=lambda d: (-d[0].gain_points, EFFORTS.index(d[0].effort), d[0].id))
    plan = []
    done = 0  # each finding is in one action only: the cents removed so far add up
    for action, keys in drafts:
        done += sum(weight.get(k, 0) for k in keys)
        left = points_of(total - done)
        plan.append(replace(action, cumulative_points=left, cumulative_grade=grade_for(left)))
    return tuple(plan)


__all__ = [
    "ACTIONS_FILE",
    "EFFORTS",
    "WHO",
    "Action",
    "ActionSpec",
    "action_specs",
    "address_order",
    "build_plan",
    "effort_label",
    "spec_for",
    "target_label",
    "who_label",
]
