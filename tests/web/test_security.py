"""The dashboard refuses forged posts and foreign host names, and accepting a risk works."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from rempart import i18n
from rempart.store import Store
from rempart.store.lifecycle import accepted_keys
from tests.web.conftest import BASE, browser_client, csrf_of

KEY = "NET-SMB-V1|127.42.0.10|445|tcp"


def accepted_now() -> frozenset[str]:
    with Store.open() as store:
        return accepted_keys(store)


def accept_form(token: str | None, **extra: str) -> dict[str, str]:
    form = {
        "key": KEY,
        "reason": "The imaging software needs SMBv1 until the vendor's update in March",
        "until": (date.today() + timedelta(days=60)).isoformat(),
    }
    if token is not None:
        form["csrf"] = token
    form.update(extra)
    return form


def test_a_post_without_the_token_is_refused_and_changes_nothing(client: TestClient) -> None:
    csrf_of(client)  # the browser has the cookie, but the forged form has no field
    answer = client.post("/findings/accept", data=accept_form(None), follow_redirects=False)
    assert answer.status_code == 403
    assert accepted_now() == frozenset()


def test_a_post_with_a_token_that_is_not_the_cookie_is_refused(client: TestClient) -> None:
    csrf_of(client)
    other = browser_client(client.app)
    forged = csrf_of(other)  # a real token, but another browser's
    answer = client.post("/findings/accept", data=accept_form(forged), follow_redirects=False)
    assert answer.status_code == 403
    assert accepted_now() == frozenset()


def test_a_post_from_another_origin_is_refused_even_with_the_token(client: TestClient) -> None:
    token = csrf_of(client)
    answer = client.post(
        "/findings/accept",
        data=accept_form(token),
        headers={"Origin": "http://evil.example"},
        follow_redirects=False,
    )
    assert answer.status_code == 403
    assert accepted_now() == frozenset()


@pytest.mark.parametrize("path", ["/audit/run", "/drill/run", "/findings/revoke"])
def test_every_form_needs_the_token(client: TestClient, path: str) -> None:
    csrf_of(client)
    assert client.post(path, data={"key": KEY}, follow_redirects=False).status_code == 403


def test_accepting_a_risk_shows_it_accepted_then_revoking_reopens_it(client: TestClient) -> None:
    i18n.set_language("en")
    token = csrf_of(client)
    answer = client.post(
        "/findings/accept",
        data=accept_form(token, back="severity=high&page=1"),
        headers={"Origin": BASE},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/findings?severity=high&page=1&done=accepted")
    assert accepted_now() == frozenset({KEY})
    page = client.get("/findings", params={"status": "accepted", "lang": "en"}).text
    assert f'data-key="{KEY}" data-status="accepted"' in page
    assert "accepted until" in page and "vendor&#39;s update in March" in page
    token = csrf_of(client)
    answer = client.post(
        "/findings/revoke", data={"csrf": token, "key": KEY}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert accepted_now() == frozenset()
    page = client.get("/findings", params={"lang": "en"}).text
    assert f'data-key="{KEY}" data-status="open"' in page


@pytest.mark.parametrize(
    ("until", "words"),
    [
        ((date.today() - timedelta(days=1)).isoformat(), "has passed"),
        ((date.today() + timedelta(days=800)).isoformat(), "more than a year away"),
        ("next tuesday", "is not a date"),
    ],
)
def test_a_bad_end_date_is_one_clear_line_and_nothing_is_accepted(
    client: TestClient, until: str, words: str
) -> None:
    i18n.set_language("en")
    token = csrf_of(client)
    answer = client.post(
        "/findings/accept?lang=en", data=accept_form(token, until=until), follow_redirects=False
    )
    assert answer.status_code == 400
    assert words in answer.text and 'role="alert"' in answer.text
    assert accepted_now() == frozenset()


def test_an_empty_reason_is_refused(client: TestClient) -> None:
    token = csrf_of(client)
    answer = client.post(
        "/findings/accept", data=accept_form(token, reason="   "), follow_redirects=False
    )
    assert answer.status_code == 400
    assert accepted_now() == frozenset()


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8765", "192.168.1.20:8765"])
def test_a_foreign_host_name_is_refused_against_dns_rebinding(
    client: TestClient, host: str
) -> None:
    answer = client.get("/", headers={"Host": host})
    assert answer.status_code == 421
    assert "DNS rebinding" in answer.text


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "[::1]:8765", "LOCALHOST"])
def test_loopback_names_are_answered(client: TestClient, host: str) -> None:
    assert client.get("/", headers={"Host": host}).status_code == 200


def test_remote_access_lets_other_host_names_through(stored_audits: object) -> None:
    from rempart.web import create_app

    with TestClient(create_app(allow_remote=True), base_url="http://192.168.1.20:8765") as c:
        assert c.get("/").status_code == 200


def test_a_cached_page_carries_each_browsers_own_token(client: TestClient) -> None:
    other = browser_client(client.app)
    mine, theirs = csrf_of(client), csrf_of(other)  # the second is served from the cache
    assert mine != theirs
    page = other.get("/findings").text
    assert f'value="{theirs}"' in page and mine not in page
    page = client.get("/findings").text
    assert f'value="{mine}"' in page and theirs not in page
