"""Hostile command outputs: random bytes, mutated recordings, huge or deeply nested JSON.
Collectors must finish, raise nothing, and give a reason for every fact left unknown."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

import pytest

from rempart.core.host import HostFacts
from rempart.host import host_findings, linux, macos, unknown_notes
from rempart.host import windows as win
from rempart.host.runner import Result, decode
from tests.host.recorded import RECORDED

NOW = datetime(2024, 4, 25, tzinfo=UTC)


def _mutate(rng: random.Random, text: str) -> str:
    data = bytearray(text.encode("utf-8"))
    for _ in range(rng.randint(1, 12)):
        choice = rng.random()
        pos = rng.randrange(len(data) + 1)
        if choice < 0.4 and data:
            del data[pos : pos + rng.randint(1, 40)]
        elif choice < 0.8:
            data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 20)))
        else:
            data[pos:pos] = rng.choice([b"{", b"}", b"[", b"]", b'"', b":", b",", b"null", b"\x00"])
    return decode(bytes(data))


def _check(facts: HostFacts) -> None:
    for name, reason in facts.unknown.items():
        assert getattr(facts, name) is None and reason.strip()
    host_findings(facts, NOW)
    unknown_notes(facts)
    assert HostFacts.from_json(facts.to_json()) == facts  # still exportable


@pytest.mark.parametrize("seed", range(40))
def test_mutated_windows_recordings_never_break_the_collector(seed: int) -> None:
    rng = random.Random(seed)
    version = rng.choice(["windows10", "windows11"])
    outputs = {}
    for path in sorted((RECORDED / version).iterdir()):
        text = path.read_bytes().decode("utf-8")
        outputs[path.stem] = Result(text=_mutate(rng, text) if rng.random() < 0.7 else text)
    _check(win.facts_from_outputs(outputs, NOW))


@pytest.mark.parametrize("seed", range(20))
def test_random_bytes_everywhere(seed: int) -> None:
    rng = random.Random(1000 + seed)

    def noise() -> Result:
        return Result(text=decode(bytes(rng.randrange(256) for _ in range(rng.randint(0, 400)))))

    _check(win.facts_from_outputs({n: noise() for n in win.PARSERS}, NOW))
    _check(linux.facts_from_outputs(
        {n: noise() for n in linux.COMMANDS}, {p: noise() for p in linux.FILES}, {"x": noise()}, NOW
    ))  # fmt: skip
    _check(macos.facts_from_outputs({n: noise() for n in macos.COMMANDS}, noise(), NOW))


def test_deeply_nested_and_huge_json() -> None:
    deep = '{"a":' * 100000 + "1" + "}" * 100000
    huge = "[" + ",".join(['{"DisplayName":"AnyDesk","DisplayVersion":"1"}'] * 60000) + "]"
    facts = win.facts_from_outputs({"os": Result(text=deep), "software": Result(text=huge)}, NOW)
    assert facts.reason("os_name")
    assert [t.name for t in facts.remote_tools or ()] == ["AnyDesk"]


def test_hostile_names_are_bounded_and_printable() -> None:
    name = "TeamViewer \x1b[2J" + "x" * 5000
    text = json.dumps([{"DisplayName": name, "DisplayVersion": "9" * 5000}])
    facts = win.facts_from_outputs({"software": Result(text=text)}, NOW)
    (tool,) = facts.remote_tools or ()
    assert tool.name == "TeamViewer" and len(tool.version) <= 60
    assert HostFacts.from_json(facts.to_json()) == facts


def test_thousands_of_items_are_cut_to_what_an_export_may_hold() -> None:
    profiles = json.dumps([{"Name": f"P{i}", "Enabled": 1} for i in range(3000)])
    facts = win.facts_from_outputs({"firewall": Result(text=profiles)}, NOW)
    assert facts.firewall is not None and len(facts.firewall) == 500
    assert HostFacts.from_json(facts.to_json()) == facts
