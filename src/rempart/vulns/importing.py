"""``rempart data import PATH``: feed files from disk (air-gapped practices) into the store.

The kind of each file (NVD, KEV, EPSS; a Recog folder) is found from its content, not its
name. A folder imports every feed file in it, all or nothing: the files are written into one
private copy of the knowledge store that replaces the current one only when every file was
read, checked and (where a hash is known) verified.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rempart.core.errors import DataError, UsageError
from rempart.i18n import _
from rempart.vulns.feeds import FeedStream, read_meta
from rempart.vulns.feeds.epss import EpssFeed, looks_like_epss
from rempart.vulns.feeds.kev import looks_like_kev, read_kev
from rempart.vulns.feeds.nvd import NvdFeed
from rempart.vulns.store import FeedState, KnowledgeWriter, now

KINDS = ("nvd", "kev", "epss", "recog")
_SKIPPED_SUFFIXES = (".meta", ".md", ".txt", ".sha256", ".sig", ".asc", ".tmp", ".part")

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class FileImport:
    """One file imported: its kind, how many records it held, and its hashes."""

    path: Path
    kind: str
    records: int
    written: int
    file_sha256: str = ""
    content_sha256: str = ""
    detail: str = ""


@dataclass(frozen=True)
class ImportReport:
    """What an import did, for the CLI's summary."""

    files: tuple[FileImport, ...] = ()
    recog: Any = None  # the fingerprint importer's ImportResult, when a Recog folder was given
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        kinds = {f.kind for f in self.files} | ({"recog"} if self.recog is not None else set())
        return kinds.pop() if len(kinds) == 1 else "mixed"

    def records(self, kind: str) -> int:
        return sum(f.records for f in self.files if f.kind == kind)

    @property
    def cves(self) -> int:
        return self.records("nvd")

    @property
    def kev(self) -> int:
        return self.records("kev")

    @property
    def kev_known_ransomware(self) -> int:
        return int(self.stats.get("kev_known_ransomware", 0)) if self.kev else 0

    @property
    def epss(self) -> int:
        return self.records("epss")


def import_path(
    path: Path,
    *,
    kind: str | None = None,
    sha256: str | None = None,
    progress: Progress | None = None,
    db_path: Path | None = None,
) -> ImportReport:
    """Import a feed file, or every feed file of a folder, into the knowledge store.

    ``kind`` forces ``nvd``/``kev``/``epss``/``recog`` instead of detecting it. ``sha256``
    (of the file, or of its uncompressed content) is checked; an NVD ``.meta`` file beside a
    feed is checked too. ``progress(done, total)`` counts bytes read. Raises
    :class:`DataError` (the store unchanged) on any bad file.
    """
    path = Path(path)
    if kind is not None and kind not in KINDS:
        raise UsageError(
            _("Unknown feed kind '{kind}': choose among {kinds}.").format(
                kind=kind, kinds=", ".join(KINDS)
            )
        )
    if not path.exists():
        raise DataError(_("{path} does not exist.").format(path=path))
    if kind == "recog" or (kind is None and path.is_dir() and _is_recog_folder(path)):
        from rempart.discover.fingerprints.importer import import_recog

        return ImportReport(recog=import_recog(path))
    files = _feed_files(path)
    if not files:
        raise DataError(
            _("{path} holds no feed file (NVD JSON, CISA KEV JSON or EPSS CSV).").format(path=path)
        )
    if sha256 is not None and len(files) > 1:
        raise UsageError(_("A hash can only be checked for one file, not a folder."))
    wanted = _normal_hash(sha256) if sha256 is not None else None
    total = sum(_size(f) for f in files)
    done = [0]

    def on_read(n: int) -> None:
        done[0] += n
        if progress is not None:
            progress(min(done[0], total), total)

    results: list[FileImport] = []
    with KnowledgeWriter(db_path) as writer:
        for file in files:
            file_kind = kind or detect_kind(file)
            expected = wanted or read_meta(file)
            results.append(_import_file(writer, file, file_kind, expected, on_read))
        stats = {
            "cves": writer.count("cve"),
            "cpe_matches": writer.count("cpe_match"),
            "kev": writer.count("kev"),
            "kev_known_ransomware": int(
                writer.db.execute("SELECT COUNT(*) FROM kev WHERE known_ransomware = 1").fetchone()[
                    0
                ]
            ),
            "epss": writer.count("epss"),
        }
        writer.commit()
    if progress is not None:
        progress(total, total)
    return ImportReport(files=tuple(results), stats=stats)


def detect_kind(path: Path) -> str:
    """``nvd``, ``kev`` or ``epss`` from the first bytes of the (decompressed) content."""
    with FeedStream(path) as feed:
        try:
            head = feed.stream.peek(64 * 1024)[: 64 * 1024]
        except (OSError, EOFError) as exc:
            raise feed.damaged(exc) from exc
    if looks_like_epss(head):
        return "epss"
    stripped = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if stripped.startswith(b"{"):
        if looks_like_kev(head):
            return "kev"
        if b'"vulnerabilities"' in head or b'"NVD_CVE"' in head or b'"id"' in head:
            return "nvd"
    raise DataError(
        _(
            "{path} is not a feed Rempart knows (NVD CVE 2.0 JSON, CISA KEV JSON, EPSS CSV, "
            "plain or compressed with gzip or zip)."
        ).format(path=path)
    )


def _import_file(
    writer: KnowledgeWriter,
    path: Path,
    kind: str,
    expected: str | None,
    on_read: Callable[[int], None],
) -> FileImport:
    if kind == "nvd":
        feed = NvdFeed(path, on_read=on_read)
        written = writer.upsert_cves(feed.records())
        _verify(path, expected, feed.file_sha256, feed.content_sha256)
        previous = writer.feed("nvd")
        writer.set_feed(
            FeedState(
                "nvd",
                now(),
                writer.count("cve"),
                feed.content_sha256,
                detail=_join_detail(previous.detail if previous else None, path.name),
            )
        )
        return FileImport(path, "nvd", feed.count, written, feed.file_sha256, feed.content_sha256)
    if kind == "kev":
        catalogue = read_kev(path, on_read=on_read)
        _verify(path, expected, catalogue.file_sha256, catalogue.content_sha256)
        writer.replace_kev(catalogue.rows)
        writer.set_feed(
            FeedState(
                "kev",
                now(),
                len(catalogue.rows),
                catalogue.content_sha256,
                last_modified=catalogue.date_released,
                detail=catalogue.catalog_version,
            )
        )
        return FileImport(
            path,
            "kev",
            len(catalogue.rows),
            len(catalogue.rows),
            catalogue.file_sha256,
            catalogue.content_sha256,
            detail=catalogue.catalog_version or "",
        )
    if kind == "epss":
        epss = EpssFeed(path, on_read=on_read)
        count = writer.replace_epss(epss.rows(), epss.score_date)
        _verify(path, expected, epss.file_sha256, epss.content_sha256)
        writer.set_feed(
            FeedState(
                "epss",
                now(),
                count,
                epss.content_sha256,
                last_modified=epss.score_date,
                detail=epss.model_version,
            )
        )
        return FileImport(
            path,
            "epss",
            epss.count,
            count,
            epss.file_sha256,
            epss.content_sha256,
            detail=epss.model_version or "",
        )
    raise UsageError(
        _("Unknown feed kind '{kind}': choose among {kinds}.").format(
            kind=kind, kinds=", ".join(KINDS)
        )
    )


def _verify(path: Path, expected: str | None, file_hash: str, content_hash: str) -> None:
    if expected is None:
        return
    if expected not in (file_hash, content_hash):
        raise DataError(
            _(
                "{path} does not have the expected SHA-256 ({expected}, found {found}): the file "
                "is damaged or not the one published. Download it again; nothing was imported."
            ).format(path=path, expected=expected[:16] + "…", found=file_hash[:16] + "…")
        )


def _normal_hash(value: str) -> str:
    text = value.strip().lower()
    if text.startswith("sha256:"):
        text = text[7:].strip()
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise UsageError(
            _("'{value}' is not a SHA-256 (64 hexadecimal digits).").format(value=value[:80])
        )
    return text


def _join_detail(previous: str | None, name: str) -> str:
    names = [n for n in (previous or "").split(",") if n and n != name]
    names.append(name)
    return ",".join(names[-50:])


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _is_recog_folder(path: Path) -> bool:
    folder = path / "xml" if (path / "xml").is_dir() else path
    try:
        return any(p.suffix == ".xml" for p in folder.iterdir())
    except OSError:
        return False


def _feed_files(path: Path) -> Sequence[Path]:
    if path.is_file():
        return [path]
    try:
        entries = sorted(path.iterdir())
    except OSError as exc:
        raise DataError(
            _("Cannot read {path}: {error}.").format(path=path, error=exc.strerror or exc)
        ) from exc
    return [
        p
        for p in entries
        if p.is_file()
        and not p.name.startswith(".")
        and not p.name.lower().endswith(_SKIPPED_SUFFIXES)
        and p.name.lower() not in ("readme", "license", "notice")
    ]
