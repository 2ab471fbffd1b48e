"""An ORG- finding's evidence can be shown in words: the question and the answer given."""

from __future__ import annotations

from datetime import UTC, datetime

from rempart import i18n
from rempart.core.survey import Answer, Answers
from rempart.survey import explain_evidence, org_findings

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def evidence_of(check_id: str, *answers: Answer) -> tuple[str, str]:
    (finding,) = [f for f in org_findings(Answers.of(answers), NOW) if f.check_id == check_id]
    (evidence,) = finding.evidence
    return evidence.label, evidence.value


def test_a_yes_no_answer_is_shown_as_the_question_and_the_answer() -> None:
    label, value = evidence_of(
        "ORG-BACKUP-NO-OFFLINE-COPY",
        Answer("backup.exists", "yes", NOW),
        Answer("backup.offline_copy", "no", NOW),
    )
    i18n.set_language("en")
    assert explain_evidence(label, value, "en") == (
        "Is one copy disconnected (a disk unplugged after the backup) or impossible to erase?",
        "No (2026-11-28)",
    )


def test_choices_and_numbers_are_shown_with_their_labels() -> None:
    label, value = evidence_of("ORG-AWARENESS-OLD", Answer("awareness.training", "longer_ago", NOW))
    assert explain_evidence(label, value, "fr") == (
        "Quand l'équipe a-t-elle été sensibilisée pour la dernière fois aux courriels piégés "
        "et aux arnaques ?",
        "Il y a plus d'un an (2026-11-28)",
    )
    label, value = evidence_of(
        "ORG-BACKUP-NOT-321", Answer("backup.exists", "yes", NOW), Answer("backup.copies", 1, NOW)
    )
    assert explain_evidence(label, value, "en") == (
        "How many backup copies exist, besides the original data?",
        "1 (2026-11-28)",
    )


def test_other_evidence_is_left_alone() -> None:
    assert explain_evidence("banner", "SSH-2.0-OpenSSH_9.6", "fr") is None
    assert explain_evidence("survey no.such_question", "no (answered 2026-11-28)", "fr") is None
    assert explain_evidence("survey backup.exists", "garbage", "fr") is None
