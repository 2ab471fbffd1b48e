"""Long work started from a button (an audit, a restore drill), run in a background thread.

A request must answer at once; the work may take minutes. The button starts a
:class:`Job` and sends the browser to its page, which refreshes itself until the job is
done. One job of each kind runs at a time: a second click shows the running one.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from rempart.core.errors import RempartError

log = logging.getLogger("rempart.web")

KINDS = ("audit", "drill")


@dataclass(frozen=True)
class Job:
    """What a job page shows. Replaced (never mutated) as the job moves on."""

    id: str
    kind: str  # "audit" or "drill"
    started_at: datetime
    state: str = "running"  # "running", "done" or "failed"
    phase: str = ""
    done: int = 0
    total: int = 0
    finished_at: datetime | None = None
    message: str = ""  # the error, or what the drill said
    result_id: str | None = None  # the audit's id once stored

    @property
    def percent(self) -> int | None:
        if self.total <= 0:
            return None
        return max(0, min(100, round(100 * self.done / self.total)))


class JobProgress:
    """The :class:`rempart.app.audit.Progress` of a job: phases and counts, thread-safe."""

    def __init__(self, jobs: Jobs, job_id: str) -> None:
        self._jobs = jobs
        self._id = job_id

    def phase(self, name: str, total: int) -> None:
        self._jobs._update(self._id, phase=name, done=0, total=total)

    def update(self, done: int, total: int) -> None:
        self._jobs._update(self._id, done=done, total=total)


# The work itself: it receives the job's progress and returns the stored result's id
# (an audit id) or a sentence for a person (a drill's outcome).
Work = Callable[[JobProgress], str | None]


class Jobs:
    """The jobs of this server, newest kept in memory (they are also in the store)."""

    def __init__(self, keep: int = 50, on_finish: Callable[[], None] | None = None) -> None:
        self._on_finish = on_finish  # told when a job ends, before its page says so
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._keep = keep

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def running(self, kind: str) -> Job | None:
        with self._lock:
            for job in self._jobs.values():
                if job.kind == kind and job.state == "running":
                    return job
        return None

    def latest(self, kind: str) -> Job | None:
        with self._lock:
            of_kind = [j for j in self._jobs.values() if j.kind == kind]
        return max(of_kind, key=lambda j: j.started_at) if of_kind else None

    def start(self, kind: str, work: Work) -> Job:
        """Start ``work`` in a thread, or return the job of that kind already running."""
        if kind not in KINDS:
            raise ValueError(kind)
        with self._lock:
            for job in self._jobs.values():
                if job.kind == kind and job.state == "running":
                    return job
            job = Job(id=uuid.uuid4().hex[:12], kind=kind, started_at=datetime.now(UTC))
            self._jobs[job.id] = job
            self._forget_old()
            thread = threading.Thread(
                target=self._run, args=(job.id, work), name=f"rempart-{kind}", daemon=True
            )
            self._threads[job.id] = thread
        thread.start()
        return job

    def wait(self, job_id: str, timeout: float) -> Job | None:
        """Block until the job ends (tests and the benchmark; pages never wait)."""
        thread = self._threads.get(job_id)
        if thread is not None:
            thread.join(timeout)
        return self.get(job_id)

    def _run(self, job_id: str, work: Work) -> None:
        try:
            try:
                result = work(JobProgress(self, job_id))
            finally:
                if self._on_finish is not None:
                    self._on_finish()
        except RempartError as exc:
            self._update(job_id, state="failed", message=str(exc), finished_at=datetime.now(UTC))
        except Exception as exc:  # a bug must not kill the server: say it on the page
            log.exception("job %s failed", job_id)
            self._update(
                job_id,
                state="failed",
                message=f"{exc.__class__.__name__}: {exc}",
                finished_at=datetime.now(UTC),
            )
        else:
            job = self.get(job_id)
            if job is not None and job.kind == "audit":
                self._update(job_id, result_id=result)
            else:
                self._update(job_id, message=result or "")
            self._update(job_id, state="done", finished_at=datetime.now(UTC))

    def _update(self, job_id: str, **changes: object) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                self._jobs[job_id] = replace(job, **changes)  # type: ignore[arg-type]

    def _forget_old(self) -> None:
        if len(self._jobs) <= self._keep:
            return
        finished = sorted(
            (j for j in self._jobs.values() if j.state != "running"), key=lambda j: j.started_at
        )
        for job in finished[: len(self._jobs) - self._keep]:
            self._jobs.pop(job.id, None)
            self._threads.pop(job.id, None)
