"""Sentinel: is somebody encrypting our files right now?

``file events → signals (per file) → detector (per actor, per window) → verdict → response``.

This package's first half says what a written file shows and decides: :mod:`.signals`
(:func:`inspect`), :mod:`.formats` and :mod:`.magic` (structure and type), :mod:`.stats`
(entropy, chi-square), :mod:`.baseline` (last known good state of each file), :mod:`.canaries`
and :mod:`.detector`. Watching, responding and alerting build on them.
"""

from __future__ import annotations

from rempart.sentinel.baseline import Baseline, BaselineEntry, BuildReport, measure_file
from rempart.sentinel.detector import (
    AllowPolicy,
    Detector,
    Event,
    ProcessAllowList,
    Thresholds,
    Verdict,
)
from rempart.sentinel.signals import FileSignals, inspect

__all__ = [
    "AllowPolicy",
    "Baseline",
    "BaselineEntry",
    "BuildReport",
    "Detector",
    "Event",
    "FileSignals",
    "ProcessAllowList",
    "Thresholds",
    "Verdict",
    "inspect",
    "measure_file",
]
