"""The questionnaire (questions.toml): size, themes, both languages, sources, and every
question leading somewhere (a finding, or a follow-up question)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rempart.core.errors import DataError
from rempart.core.survey import QuestionType
from rempart.survey.docs import answer_map, render_survey_doc
from rempart.survey.loader import load_questionnaire, parse

Q = load_questionnaire()
ID = re.compile(r"^[a-z]+(\.[a-z0-9_]+)+$")
DOC = Path(__file__).resolve().parents[2] / "docs" / "survey.md"


def test_between_25_and_40_questions_with_stable_ids() -> None:
    assert 25 <= len(Q.questions) <= 40
    assert all(ID.match(q.id) for q in Q.questions)


def test_every_theme_of_the_issue_is_asked() -> None:
    ids = {q.id for q in Q.questions}
    for needed in (
        "backup.offsite",  # 3-2-1
        "backup.offline_copy",
        "backup.restore_tested",
        "passwords.individual_accounts",
        "passwords.manager",
        "mfa.email",
        "mfa.remote_access",
        "cps.ecps",
        "updates.automatic",
        "admin.daily_use",
        "awareness.training",
        "provider.contract",
        "remote.vendor_access",
        "vendor.hds",
        "wifi.separated",
        "incident.plan",
        "incident.contacts",
        "rgpd.register",
        "rgpd.breach_72h",
    ):
        assert needed in ids


def test_every_question_is_written_in_both_languages() -> None:
    for q in Q.questions:
        assert q.text.fr != q.text.en and q.help.fr != q.help.en, q.id
        assert q.text.fr.endswith("?") and q.text.en.endswith("?"), q.id
        for option in q.options:
            assert option.label.fr and option.label.en, q.id


def test_sources_are_ans_anssi_or_cnil_with_addresses() -> None:
    cited = " ".join(s.label for q in Q.questions for s in q.sources)
    for body in ("ANS,", "ANSSI, guide d'hygiène", "ANSSI, les 12 règles", "CNIL"):
        assert body in cited
    for q in Q.questions:
        assert all(s.url.startswith("https://") for s in q.sources), q.id


def test_every_question_leads_to_a_finding_or_to_follow_up_questions() -> None:
    gates = {q.condition.question_id for q in Q.questions if q.condition}
    fired = answer_map(Q)
    for q in Q.questions:
        assert fired[q.id] or q.id in gates, q.id
    # "no" on a yes/no question that has a finding: some gap, checked per question
    assert fired["backup.offline_copy"] == {
        "no": ["ORG-BACKUP-NO-OFFLINE-COPY"],
        "dont_know": ["ORG-BACKUP-OFFLINE-UNKNOWN"],
    }


def test_choice_questions_have_options_and_numbers_have_a_range() -> None:
    for q in Q.questions:
        if q.type is QuestionType.CHOICE:
            assert len(q.options) >= 2, q.id
        if q.type is QuestionType.NUMBER:
            assert q.minimum < q.maximum, q.id


@pytest.mark.parametrize(
    ("broken", "needle"),
    [
        ("\n[[question]]\nid = 'backup.exists'\n", "repeated id"),
        ("\n[[question]]\nid = 'x.y'\ntype = 'essay'\n", "unknown type"),
        (
            "\n[[question]]\nid = 'x.y'\ntype = 'yes_no'\ntheme = 'backup'\nfr = 'a ?'\n"
            "en = 'b?'\nhelp_fr = 'c'\nhelp_en = 'd'\nsources = ['nowhere']\n",
            "sources",
        ),
        (
            "\n[[question]]\nid = 'x.y'\ntype = 'yes_no'\ntheme = 'backup'\nfr = 'a ?'\n"
            "en = 'b?'\nhelp_fr = 'c'\nhelp_en = 'd'\nsources = ['anssi_3']\n"
            "ask_if = { question = 'later.one', values = ['yes'] }\n",
            "ask_if",
        ),
    ],
)
def test_a_broken_questions_file_is_refused(broken: str, needle: str) -> None:
    from importlib import resources

    text = resources.files("rempart.survey").joinpath("questions.toml").read_text("utf-8")
    with pytest.raises(DataError, match=needle):
        parse(text + broken)


def test_docs_survey_md_is_in_step_with_the_questions() -> None:
    assert DOC.read_text(encoding="utf-8") == render_survey_doc(), (
        "regenerate: uv run python -m rempart.survey.docs > docs/survey.md"
    )
