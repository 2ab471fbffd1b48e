"""Rempart's reading of Recog's regexes agrees with real Ruby (the language Recog is written
for): same match or no match, same captures, on Recog's examples, variants of them (a final
newline, another case, leading text…) and the other fingerprints' examples (which must
mostly not match). Needs ``ruby`` (Debian package ``ruby``); CI installs it.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from rempart.discover.fingerprints import bound_text, compile_ruby, parse_file
from tests.support import require_binary, shared_data

ORACLE = Path(__file__).with_name("ruby_match.rb")
PROBE_FILES = (
    "ssh_banners.xml",
    "ftp_banners.xml",
    "telnet_banners.xml",
    "http_servers.xml",
    "html_title.xml",
    "mysql_banners.xml",
    "smb_native_os.xml",
    "smb_native_lm.xml",
    "snmp_sysdescr.xml",
    "x509_subjects.xml",
    "x509_issuers.xml",
)

pytestmark = pytest.mark.peer


def ruby(cases: list[dict[str, object]]) -> list[dict[str, object]]:
    binary = require_binary("ruby")
    done = subprocess.run(
        [binary, str(ORACLE)],
        input=json.dumps(cases),
        capture_output=True,
        text=True,
        check=True,
        timeout=240,
    )
    return json.loads(done.stdout)


def python(pattern: str, flags: str, text: str) -> list[str | None] | None:
    m = compile_ruby(pattern, flags or None).search(text)
    return None if m is None else list(m.groups())


def variants(text: str) -> list[str]:
    return [
        text,
        text + "\n",
        text + "\r\n",
        "\n" + text,
        text.upper(),
        text.lower(),
        text + " extra",
        "x" + text,
        text.replace("\r\n", "\n"),
        text.replace("\n", " "),
        text + "\nmore",
    ]


def disagreements(cases: list[dict[str, object]]) -> tuple[int, list[str]]:
    answers = ruby(cases)
    compared = 0
    wrong: list[str] = []
    for case, answer in zip(cases, answers, strict=True):
        pattern, flags = str(case["p"]), str(case["f"])
        if "error" in answer:
            wrong.append(f"{pattern!r}: Ruby refuses it ({answer['error']})")
            continue
        for text, expected in zip(case["t"], answer["r"], strict=True):  # type: ignore[call-overload]
            if expected == "timeout":
                continue  # Ruby 3.1 backtracks too; nothing to compare
            compared += 1
            got = python(pattern, flags, text)
            if got != expected:
                wrong.append(f"{pattern!r} on {text[:80]!r}: Python {got!r}, Ruby {expected!r}")
    return compared, wrong


@pytest.mark.parametrize("name", PROBE_FILES)
def test_python_reading_of_recog_patterns_agrees_with_ruby(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    parsed = parse_file(shared_data("recog", name))
    others = [e.text for fp in parsed.fingerprints for e in fp.examples][:400:7]
    cases: list[dict[str, object]] = []
    for fp in parsed.fingerprints:
        texts = [v for e in fp.examples for v in variants(e.text)] + others
        texts = [bound_text(t) for t in dict.fromkeys(texts)]
        cases.append({"p": fp.pattern, "f": fp.flags, "t": texts})
    compared, wrong = disagreements(cases)
    with capsys.disabled():
        print(f"\n{name}: Python and Ruby agree on {compared - len(wrong)}/{compared} matches")
    assert compared > 100
    assert wrong == []


# Each Ruby construct the translator handles, checked against Ruby itself.
CONSTRUCTS: list[tuple[str, str, list[str]]] = [
    ("^login:$", "", ["a\nlogin:\nb", "login: ", "xlogin:"]),
    ("^$", "", ["\r\n", "\n", "a\n", ""]),
    ("(\n)^", "", ["a\n", "a\nb"]),
    ("a.b", "", ["a\nb", "a-b"]),
    ("a.b", "REG_MULTILINE", ["a\nb"]),
    ("a.b", "REG_DOT_NEWLINE,REG_ICASE", ["A\nB"]),
    ("ready\\Z", "", ["ready\n", "ready\nx", "ready"]),
    ("ready\\z", "", ["ready\n", "ready"]),
    ("\\Aready", "", ["x\nready", "ready"]),
    ("(\\h+)-(\\H+)", "", ["00aF-zz", "g-1"]),
    ("([\\h:]+)", "", ["zz 00:1b:C4"]),
    ("^(\\d+)$", "", ["٣٤", "34"]),
    ("^(\\w+)$", "", ["é", "a_1"]),
    ("a(\\s)b", "", ["a\x1cb", "a\x0bb", "a\xa0b"]),
    ("(v)(?<version>\\d+)", "", ["v42"]),
    ("a(?i)b|c", "", ["aC", "C", "c", "aB"]),
    ("(x(?i)y)z", "", ["xYz", "xYZ"]),
    ("^(?i)cisco (\\w+)$", "", ["CISCO Phone"]),
    ("(?m:a.b)", "", ["a\nb"]),
    ("(?-m:a.b)", "REG_MULTILINE", ["a\nb", "a-b"]),
    ("(?im:A.B)", "", ["a\nb"]),
    ("^([[:alpha:]]+)([[:digit:]]+)([[:space:]]*)$", "", ["abc123 \t", "é1"]),
    ("^([[:upper:]][[:lower:]]+)([[:word:]]*)$", "", ["Ωmega_1", "été", "Été"]),
    ("^[a[0-9]]+$", "", ["a1a2", "b"]),
    ("\\x4(\\e)", "", ["\x04\x1b"]),
    ("a(?#note)b", "", ["ab"]),
    ("^(\\S+) (.+)* http", "", ["h 1; Sun http://x", "h 1; Sun HTTP://x", "h  http", "h x"]),
    ("^x(?:[a-z]+)+!(\\d)", "", ["xabc!1", "xabc?1", "x!1"]),
    ("^([^,]+)+,(.)", "", ["ab,c", "ab;c"]),
    ("\\cA\\y\\q\\g", "", ["\x01yqg"]),
    ("^a{2,}(b{,2})$", "", ["aaabb", "ab"]),
    ("a{b}", "", ["a{b}"]),
    ("^(?>ab|a)c$", "", ["abc", "ac"]),
    ("^(a*+)b$", "", ["aab"]),
    ("^[|~&]+$", "", ["|~&"]),
    ("^[]a]+$", "", ["]a"]),
    ("(\\w+)\\R(\\w+)", "", ["a\r\nb", "a\nb"]),
    ("caf\\u00e9 (\\S+)", "REG_ICASE", ["CAFÉ x"]),
]


def test_each_translated_construct_behaves_as_in_ruby() -> None:
    cases: list[dict[str, object]] = [{"p": p, "f": f, "t": t} for p, f, t in CONSTRUCTS]
    compared, wrong = disagreements(cases)
    assert compared == sum(len(t) for _, _, t in CONSTRUCTS)
    assert wrong == []
