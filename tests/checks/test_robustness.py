"""Checks never crash on what a hostile or buggy service made the probes record."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from rempart.checks import CheckContext, run_checks
from rempart.checks.base import MAX_EVIDENCE
from rempart.core.model import Asset, Service
from rempart.core.observations import ALL_OBSERVATIONS, Observation

text = st.text(max_size=300)
optional_text = st.none() | text
texts = st.lists(text, max_size=6).map(tuple)
known_words = st.sampled_from(
    ["NT LM 0.12", "rdp", "ssl", "hybrid", "TLSv1.0", "public", "mssql", "winrm", "3des-cbc",
     "2020-01-01T00:00:00Z", "9999-99-99", "", "anydesk"]
)  # fmt: skip
mixed = st.lists(known_words | text, max_size=6).map(tuple)


def _value_for(annotation: str) -> st.SearchStrategy[object]:
    if annotation == "bool":
        return st.booleans()
    if annotation == "bool | None":
        return st.none() | st.booleans()
    if annotation == "int | None":
        return st.none() | st.integers(min_value=-(2**40), max_value=2**40)
    if annotation == "tuple[int, ...]":
        return st.lists(st.integers(min_value=-5, max_value=300), max_size=5).map(tuple)
    if annotation in ("tuple[str, ...]", "tuple[str, ...] | None"):
        base = mixed
        return st.none() | base if annotation.endswith("None") else base
    if annotation == "str | None":
        return st.none() | known_words | text
    return known_words | text


def observation_strategy(kind: type[Observation]) -> st.SearchStrategy[Observation]:
    fields = {
        name: _value_for(str(annotation))
        for name, annotation in kind.__annotations__.items()
        if name != "kind"
    }
    return st.fixed_dictionaries(fields).map(lambda kw: kind(**kw))


observations = st.one_of([observation_strategy(k) for k in ALL_OBSERVATIONS])


@settings(max_examples=300, deadline=None)
@given(
    obs=st.lists(observations, max_size=4),
    name=known_words | text,
    product=optional_text | known_words,
    version=optional_text,
)
def test_checks_never_crash_and_keep_evidence_bounded(
    obs: list[Observation], name: str, product: str | None, version: str | None
) -> None:
    service = Service("127.42.0.99", 1, name=name, product=product, version=version,
                      observations=tuple(obs))  # fmt: skip
    ctx = CheckContext(now=datetime(2026, 11, 28, tzinfo=UTC))
    for finding in run_checks([Asset("127.42.0.99", services=(service,))], ctx):
        assert finding.evidence
        for e in finding.evidence:
            assert len(e.label) <= MAX_EVIDENCE and len(e.value) <= MAX_EVIDENCE
            assert e.value.isprintable() and e.label.isprintable()
