"""No French user meets an English sentence: every msgid is translated and compiled."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "i18n.py"


def test_every_message_is_translated_into_french_and_compiled() -> None:
    spec = importlib.util.spec_from_file_location("rempart_i18n_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.problems() == []
