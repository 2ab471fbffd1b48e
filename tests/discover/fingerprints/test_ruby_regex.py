"""The Ruby → Python regex translator: one test per Ruby construct that Python reads otherwise."""

from __future__ import annotations

import re

import pytest

from rempart.discover.fingerprints.ruby_regex import (
    RubyRegexError,
    compile_ruby,
    flags_for,
    translate,
)


def matches(pattern: str, text: str, flags: str | None = None) -> bool:
    return compile_ruby(pattern, flags).search(text) is not None


def test_caret_and_dollar_are_line_anchors_as_in_ruby() -> None:
    # Ruby's ^ and $ always match at line boundaries; Python's only with re.MULTILINE.
    assert matches("^login:$", "Welcome\r\nlogin:\nPassword:")
    assert compile_ruby("^(\\w+) router$").search("banner\nacme router\n").group(1) == "acme"


def test_caret_does_not_match_at_the_end_after_a_final_newline() -> None:
    # Ruby: "\r\n" =~ /^$/ is nil (Python's MULTILINE ^ matches at the very end).
    assert not matches("^$", "\r\n")
    assert matches("^$", "\n") and matches("^$", "")
    assert not matches("\n^", "a\n") and matches("\n^", "a\nb")


def test_reg_multiline_lets_dot_match_a_newline() -> None:
    # Recog's REG_MULTILINE is Ruby's Regexp::MULTILINE, i.e. Python's DOTALL.
    assert matches("Copyright.*Login:", "Copyright 2017\r\nLogin:", "REG_MULTILINE")
    assert matches("Copyright.*Login:", "Copyright 2017\r\nLogin:", "REG_DOT_NEWLINE")
    assert not matches("Copyright.*Login:", "Copyright 2017\r\nLogin:")


def test_reg_icase_and_combined_flags() -> None:
    assert matches("^openssh", "OpenSSH_7.4", "REG_ICASE")
    assert matches("^a.b$", "A\nB", "REG_ICASE,REG_DOT_NEWLINE")
    assert flags_for("REG_ICASE,REG_MULTILINE") == re.IGNORECASE | re.DOTALL | re.MULTILINE


def test_unknown_flag_is_refused() -> None:
    with pytest.raises(RubyRegexError):
        flags_for("REG_EXTENDED")


def test_ruby_big_z_allows_a_final_newline_and_small_z_does_not() -> None:
    assert matches("ready\\Z", "FTP ready\n")
    assert not matches("ready\\Z", "FTP ready\nmore")
    assert not matches("ready\\z", "FTP ready\n")
    assert matches("ready\\z", "FTP ready")
    assert matches("\\AFTP", "FTP ready") and not matches("\\Aready", "FTP\nready")


def test_hex_digit_escape() -> None:
    assert compile_ruby("id=(\\h+)").search("id=00aFz").group(1) == "00aF"
    assert compile_ruby("([\\h:]+)$").search("mac 00:1b:C4").group(1) == "00:1b:C4"
    assert compile_ruby("(\\H+)").search("12xyz").group(1) == "xyz"


def test_shorthand_classes_are_ascii_only_as_in_ruby() -> None:
    assert not matches("^\\d+$", "٣٤")  # Arabic-Indic digits are not Ruby \d
    assert not matches("^\\w+$", "é")
    assert not matches("a\\sb", "a\x1cb")  # Python's Unicode \s would match this separator
    assert matches("a\\sb", "a\x0bb")  # Ruby's \s includes the vertical tab
    assert matches("^[\\w.-]+$", "host-1.lan")


def test_named_groups_and_plain_groups_do_not_capture_beside_them() -> None:
    regex = compile_ruby("(v)(?<version>\\d+)")
    m = regex.search("v42")
    assert m.group(1) == "42" and m.group("version") == "42"
    assert compile_ruby("(?'name'x)\\k<name>").search("xx") is not None


def test_inline_option_applies_to_the_end_of_its_group_alternatives_included() -> None:
    # Onigmo reads a(?i)b|c as a(?i:b|c); Python 3.11 refuses a global flag mid-pattern.
    assert matches("^(?i)cisco systems$", "CISCO SYSTEMS")
    assert re.fullmatch(compile_ruby("a(?i)b|c"), "aC")
    assert compile_ruby("a(?i)b|c").fullmatch("C") is None
    assert compile_ruby("(x(?i)y)z").fullmatch("xYz")
    assert compile_ruby("(x(?i)y)z").fullmatch("xYZ") is None


def test_inline_m_means_dotall_not_multiline() -> None:
    assert matches("(?m:a.b)", "a\nb")
    assert matches("(?im:A.B)", "a\nb")
    assert matches("(?m)a.b", "a\nb")
    assert not matches("(?-m:a.b)", "a\nb", "REG_MULTILINE")


def test_posix_brackets_and_nested_classes() -> None:
    assert compile_ruby("^([[:alpha:]]+)([[:digit:]]+)$").search("abc123").groups() == (
        "abc",
        "123",
    )
    assert compile_ruby("^[a[0-9]]+$").search("a1a2") is not None


def test_byte_and_control_escapes() -> None:
    assert matches("\\x4\\x04", "\x04\x04")
    assert matches("\\e\\[0m", "\x1b[0m")
    assert matches("\\u{41}\\u0042", "AB")
    assert matches("\\0", "\x00")
    assert matches("\\R", "\r\n")


def test_comments_literal_braces_and_repetitions() -> None:
    assert translate("a(?#a note)b") == "ab"
    assert matches("a{b}", "a{b}")
    assert matches("^a{2,}$", "aaa") and not matches("^a{2,}$", "a")
    assert matches("^(?>ab|a)c$", "abc")
    assert matches("^a*+b$", "aab")


def test_nested_repetition_does_not_backtrack_exponentially() -> None:
    # Recog's smtp_banners.xml has "(.+)* http": Python took seconds on an 80-char near miss.
    regex = compile_ruby("^([^ ]{1,512}) SMTP NAVIEG ([^ ]+); (.+)* http")
    text = "foo.bar SMTP NAVIEG 2.0.1; " + "Sun, 29 Jul 2001 22:02:16 -0500 " * 40 + "HTTP://x"
    assert regex.search(text) is None
    found = regex.search("foo SMTP NAVIEG 2.0.1; Sun, 29 Jul 2001 http://x")
    assert found is not None and found.group(3) == "Sun, 29 Jul 2001"


def test_class_operators_python_would_warn_about_are_literal() -> None:
    assert matches("^[|~&]+$", "|~&")
    assert matches("^[]a]+$", "]a")


@pytest.mark.parametrize(
    "pattern", ["\\Gabc", "a\\Kb", "(?<n>a)\\g<n>", "\\p{L}", "[a-z&&[^aeiou]]", "a{2}+", "(a"]
)
def test_untranslatable_constructs_are_refused_not_misread(pattern: str) -> None:
    with pytest.raises(RubyRegexError):
        compile_ruby(pattern)
