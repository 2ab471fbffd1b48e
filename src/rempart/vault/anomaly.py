"""Is this snapshot the work of ransomware? Each new snapshot against its predecessors.

A backup taken after an encryption has started saves the damage faithfully. Restoring it would
restore the damage: such a snapshot must be *flagged*, kept (it may still hold good files), and
never offered as "the last clean restore point". The signs, each cheap and each measured on what
changed since the previous snapshot of the same host and paths:

* **ransom notes**: new files named like the notes of known families (``HOW_TO_DECRYPT``,
  ``*_readme.txt``, ``RESTORE-MY-FILES``…);
* **onion addresses** in small new text files (how to pay);
* **renamed pairs**: a file disappears and a file with the same name plus an extension appears
  (``devis.pdf`` → ``devis.pdf.lockbit``), or the same stem with another extension;
* **new extensions** never seen before, for many files at once (or a known ransomware one);
* **entropy** of sampled changed files jumping far above their type's baseline (an encrypted
  SQLite page or CSV is uniformly random; the same file before was not);
* **compressibility collapse**: the new data stores at ~100 % of its size where the same types
  used to compress (``stored/added`` ratio per type).

:func:`assess_snapshot` is called by ``rempart backup run`` on the snapshot it just wrote; it
returns one line per sign found and leaves a marker object in the repository (kind
``anomalies``, when the repository format has it) so that every machine reading the repository
knows. :func:`flagged` and :func:`latest_clean` are what ``backup list`` and ``restore latest``
use.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from rempart.i18n import _
from rempart.vault.errors import RepositoryCorrupt, VaultError
from rempart.vault.model import Node, Snapshot

if TYPE_CHECKING:
    from rempart.vault.repo import Repository

AAD_ANOMALY = b"rempart-anomaly-v1"
MARKER_KIND = "anomalies"

# Ransom-note file names of common families (LockBit, Conti, STOP/Djvu, Phobos, BlackCat,
# Medusa, Akira, Royal, Play…): matched on the lower-case name.
_NOTE_PATTERNS = tuple(
    re.compile(p)
    for p in (
        r"decrypt",
        r"how[-_ ]?to[-_ ]?(restore|recover|back|get)",
        r"(restore|recover)[-_ ]?(my|your|all)?[-_ ]?files",
        r"ransom",
        r"^_?readme\.txt$",
        r"^_readme",
        r"readme[-_ ]?(for[-_ ]?)?(decrypt|restore|recover|warning)",
        r"\.readme\.txt$",
        r"^!+.*\.(txt|html?|hta)$",
        r"^#.*(readme|decrypt|restore).*",
        r"^readme_to_decrypt",
        r"^info\.hta$",
        r"^(akira|medusa|royal|play|conti|lockbit|blackcat|hive|ryuk)[-_.]?readme",
        r"^read[-_ ]?me[-_ ]?now",
        r"files[-_ ]?(are|have been)[-_ ]?encrypted",
    )
)
# Extensions ransomware gives encrypted files (a sample: unknown ones are caught by count).
RANSOM_EXTENSIONS = frozenset(
    {
        ".locked", ".lock", ".lockbit", ".encrypted", ".enc", ".crypt", ".crypted", ".cry",
        ".crypto", ".cryptolocker", ".akira", ".royal", ".play", ".medusa", ".blackcat",
        ".conti", ".ryuk", ".hive", ".phobos", ".eking", ".devos", ".djvu", ".stop", ".wannacry",
        ".wncry", ".wnry", ".locky", ".zepto", ".cerber", ".petya", ".rapid", ".dharma",
        ".wallet", ".onion", ".basta", ".rhysida", ".8base", ".abcd", ".babyk", ".nokoyawa",
        ".ransom", ".pay", ".paym", ".decrypt", ".kraken", ".globe", ".makop", ".mallox",
    }
)  # fmt: skip
_ONION = re.compile(rb"\b[a-z2-7]{56}\.onion\b|\b[a-z2-7]{16}\.onion\b", re.IGNORECASE)
_TEXT_EXTENSIONS = frozenset({"", ".txt", ".html", ".htm", ".hta", ".md", ".rtf", ".url", ".nfo"})

SMALL_TEXT = 64 * 1024  # onion addresses are looked for in files up to this size
ONION_FILES_MAX = 200  # … and in at most this many files per snapshot
ENTROPY_SAMPLE = 64 * 1024  # bytes read at the start of a sampled file
ENTROPY_FILES_MAX = 64  # changed files sampled for entropy
HIGH_ENTROPY = 7.9  # bits per byte: what encryption (and good compression) gives
ENTROPY_JUMP = 1.0  # a file's entropy above its type's baseline by at least this
MIN_FILES = 3  # a sign counted over files needs at least this many
RENAMED_SHARE = 0.3  # … and this share of the files concerned (renamed pairs, entropy)
NEW_EXTENSION_FILES = 10  # an unknown new extension on at least this many new files
NEW_EXTENSION_SHARE = 0.3  # … making at least this share of the new or changed files
NEW_EXTENSION_SAMPLE = 5  # … of which this many are sampled: most must look encrypted
INCOMPRESSIBLE = 0.97  # stored/added above this: the new data did not compress at all
COMPRESSIBLE = 0.8  # the same types used to store below this
MIN_COLLAPSE_BYTES = 256 * 1024  # … on at least this much new data


@dataclass(frozen=True)
class Anomaly:
    """One sign, as one line for a person; ``kind`` is stable (for the store, tests)."""

    kind: str  # "ransom_note" | "onion" | "renamed" | "new_extension" | "entropy" | "compression"
    detail: str
    paths: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.detail


@dataclass
class _Changes:
    """What changed between the previous snapshot and this one (tree paths)."""

    current: dict[str, Node]
    previous: dict[str, Node]
    added: list[str] = field(default_factory=list)  # new paths
    changed: list[str] = field(default_factory=list)  # same path, other content
    deleted: list[str] = field(default_factory=list)  # gone paths


def _files(repo: Repository, tree: str) -> dict[str, Node]:
    return {path: node for path, node in repo.walk(tree) if node.type == "file"}


def _diff(current: dict[str, Node], previous: dict[str, Node]) -> _Changes:
    changes = _Changes(current, previous)
    for path, node in current.items():
        before = previous.get(path)
        if before is None:
            changes.added.append(path)
        elif before.hash != node.hash:
            changes.changed.append(path)
    changes.deleted = [p for p in previous if p not in current]
    return changes


def _ext(path: str) -> str:
    return PurePosixPath(path).suffix.lower()


def _name(path: str) -> str:
    return PurePosixPath(path).name


def predecessor(
    repo: Repository, snapshot: Snapshot, snapshots: Sequence[Snapshot] | None = None
) -> Snapshot | None:
    """The snapshot this one is compared with: its parent, else the latest older snapshot of
    the same host and paths."""
    older = [
        s
        for s in (snapshots if snapshots is not None else repo.snapshots())
        if s.time < snapshot.time and s.host == snapshot.host and s.name != snapshot.name
    ]
    by_name = {s.name: s for s in older}
    if snapshot.parent and snapshot.parent in by_name:
        return by_name[snapshot.parent]
    same = [s for s in older if sorted(s.paths) == sorted(snapshot.paths)]
    return same[-1] if same else None


# -- the signs ----------------------------------------------------------------------------


def _listed(paths: Sequence[str], limit: int = 3) -> str:
    shown = ", ".join(paths[:limit])
    return shown + (", …" if len(paths) > limit else "")


def ransom_notes(changes: _Changes) -> Anomaly | None:
    notes = [
        p
        for p in changes.added
        if any(pattern.search(_name(p).lower()) for pattern in _NOTE_PATTERNS)
    ]
    if not notes:
        return None
    return Anomaly(
        "ransom_note",
        _("{n} new file(s) named like a ransom note: {paths}.").format(
            n=len(notes), paths=_listed(notes)
        ),
        tuple(notes),
    )


def onion_addresses(repo: Repository, changes: _Changes) -> Anomaly | None:
    from rempart.vault.restore import read_file

    candidates = [
        p
        for p in [*changes.added, *changes.changed]
        if changes.current[p].size <= SMALL_TEXT and _ext(p) in _TEXT_EXTENSIONS
    ][:ONION_FILES_MAX]
    found = []
    for path in candidates:
        data = b"".join(read_file(repo, changes.current[path]))
        if _ONION.search(data):
            found.append(path)
    if not found:
        return None
    return Anomaly(
        "onion",
        _("{n} new text file(s) give a Tor (.onion) address, as ransom notes do: {paths}.").format(
            n=len(found), paths=_listed(found)
        ),
        tuple(found),
    )


def renamed_pairs(changes: _Changes) -> Anomaly | None:
    """``x.pdf`` deleted and ``x.pdf.locked`` (or ``x.locked``) created in the same folder."""
    if not changes.deleted:
        return None
    gone_names: dict[str, set[str]] = defaultdict(set)  # folder → deleted names
    gone_stems: dict[str, set[str]] = defaultdict(set)
    for path in changes.deleted:
        pure = PurePosixPath(path)
        gone_names[str(pure.parent)].add(pure.name.lower())
        gone_stems[str(pure.parent)].add(pure.stem.lower())
    pairs: list[str] = []
    extensions: Counter[str] = Counter()
    for path in changes.added:
        pure = PurePosixPath(path)
        folder, name = str(pure.parent), pure.name.lower()
        base = name.rsplit(".", 1)[0] if "." in name else name
        if base in gone_names.get(folder, ()) or (
            pure.stem.lower() in gone_stems.get(folder, ()) and pure.suffix
        ):
            pairs.append(path)
            extensions[pure.suffix.lower()] += 1
    if len(pairs) < MIN_FILES or len(pairs) < RENAMED_SHARE * len(changes.deleted):
        return None
    ext, _count = extensions.most_common(1)[0]
    return Anomaly(
        "renamed",
        _(
            "{n} file(s) were replaced by a file of the same name with another extension "
            "(mostly '{ext}'), as ransomware renames what it encrypts: {paths}."
        ).format(n=len(pairs), ext=ext or "?", paths=_listed(pairs)),
        tuple(pairs),
    )


def new_extensions(repo: Repository, changes: _Changes, seen: set[str]) -> Anomaly | None:
    """A known ransomware extension; or an unknown one on many new files whose content looks
    encrypted (a first batch of a new file type, say DICOM images, is structured: not this)."""
    fresh: dict[str, list[str]] = defaultdict(list)
    for path in changes.added:
        ext = _ext(path)
        if ext and ext not in seen:
            fresh[ext].append(path)
    if not fresh:
        return None
    touched = len(changes.added) + len(changes.changed)
    known = {e: p for e, p in fresh.items() if e in RANSOM_EXTENSIONS}
    many = {
        e: p
        for e, p in fresh.items()
        if len(p) >= NEW_EXTENSION_FILES
        and len(p) >= NEW_EXTENSION_SHARE * touched
        and _mostly_random(repo, [changes.current[x] for x in p[:NEW_EXTENSION_SAMPLE]])
    }
    hits = {**many, **known}
    if not hits:
        return None
    ext, paths = max(hits.items(), key=lambda kv: len(kv[1]))
    return Anomaly(
        "new_extension",
        _(
            "{n} new file(s) carry the extension '{ext}', never seen in earlier backups: {paths}."
        ).format(n=len(paths), ext=ext, paths=_listed(paths)),
        tuple(paths),
    )


def _mostly_random(repo: Repository, nodes: Sequence[Node]) -> bool:
    """At least 80 % of ``nodes`` start with uniformly random bytes."""
    judged = [n for n in nodes if n.size >= 512]
    if not judged:
        return False
    random_ones = sum(1 for n in judged if entropy(_sample(repo, n)) >= HIGH_ENTROPY)
    return random_ones >= 0.8 * len(judged)


def entropy(data: bytes) -> float:
    """Shannon entropy in bits per byte (0 for empty data)."""
    if not data:
        return 0.0
    total = len(data)
    result = 0.0
    for count in Counter(data).values():
        p = count / total
        result -= p * math.log2(p)
    return result


def _sample(repo: Repository, node: Node) -> bytes:
    """The first bytes of a file (its first chunk, cut to the sample size)."""
    if not node.content:
        return b""
    return repo.read_blob(bytes.fromhex(node.content[0]))[:ENTROPY_SAMPLE]


def entropy_jump(repo: Repository, changes: _Changes) -> Anomaly | None:
    """Changed files whose entropy jumped above their previous version's (or their type's)."""
    baseline: dict[str, list[float]] = defaultdict(list)
    jumped: list[str] = []
    judged = 0
    candidates = [*changes.changed, *changes.added]
    for path in candidates[:ENTROPY_FILES_MAX]:
        node = changes.current[path]
        if node.size < 512:
            continue
        before = changes.previous.get(path)
        if before is not None and before.size >= 512:
            reference = entropy(_sample(repo, before))
        else:
            ext = _ext(path)
            if ext not in baseline:
                same_type = [
                    n for p, n in changes.previous.items() if _ext(p) == ext and n.size >= 512
                ][:4]
                baseline[ext] = [entropy(_sample(repo, n)) for n in same_type]
            if not baseline[ext]:
                continue
            reference = sum(baseline[ext]) / len(baseline[ext])
        judged += 1
        now = entropy(_sample(repo, node))
        if now >= HIGH_ENTROPY and now - reference >= ENTROPY_JUMP:
            jumped.append(path)
    if len(jumped) < MIN_FILES or len(jumped) < RENAMED_SHARE * judged:
        return None
    return Anomaly(
        "entropy",
        _(
            "{n} of {m} changed file(s) sampled now look random (encrypted) where they did "
            "not before: {paths}."
        ).format(n=len(jumped), m=judged, paths=_listed(jumped)),
        tuple(jumped),
    )


def _ratio(
    repo: Repository, nodes: Iterable[Node], skip: set[str] | None = None
) -> tuple[int, int]:
    """(stored bytes, plaintext bytes) of the distinct chunks of ``nodes``."""
    stored = raw = 0
    seen: set[str] = set()
    for node in nodes:
        for chunk in node.content:
            if chunk in seen or (skip is not None and chunk in skip):
                continue
            seen.add(chunk)
            ref = repo.index.get(bytes.fromhex(chunk))
            if ref is not None:
                stored += ref.length
                raw += ref.raw_length
    return stored, raw


def compression_collapse(repo: Repository, changes: _Changes) -> Anomaly | None:
    """New data that does not compress, of types whose data used to."""
    old_chunks = {c for n in changes.previous.values() for c in n.content}
    deleted = set(changes.deleted)
    by_type: dict[str, list[Node]] = defaultdict(list)
    for path in [*changes.added, *changes.changed]:
        # A renamed file (devis.pdf → devis.pdf.lockbit) is judged as what it was.
        original = path.rsplit(".", 1)[0] if "." in _name(path) else path
        by_type[_ext(original if original in deleted else path)].append(changes.current[path])
    new_stored = new_raw = 0
    expected_stored = 0.0
    for ext, nodes in by_type.items():
        stored, raw = _ratio(repo, nodes, skip=old_chunks)
        before = [n for p, n in changes.previous.items() if _ext(p) == ext]
        old_stored, old_raw = _ratio(repo, before)
        if raw == 0 or old_raw == 0 or old_stored / old_raw > COMPRESSIBLE:
            continue  # a type that never compressed (images, archives) says nothing
        new_stored += stored
        new_raw += raw
        expected_stored += raw * old_stored / old_raw
    if new_raw < MIN_COLLAPSE_BYTES or new_stored / new_raw < INCOMPRESSIBLE:
        return None
    return Anomaly(
        "compression",
        _(
            "The new data no longer compresses ({now:.0%} of its size stored, against "
            "{before:.0%} for the same types before): encrypted data does not compress."
        ).format(now=new_stored / new_raw, before=expected_stored / new_raw),
    )


# -- the whole assessment -----------------------------------------------------------------


def assess(repo: Repository, snapshot: Snapshot, previous: Snapshot | None = None) -> list[Anomaly]:
    """Every sign found in ``snapshot`` against ``previous`` (its predecessor by default)."""
    snapshots = repo.snapshots()  # read once: on S3 every snapshot is a request
    previous = previous if previous is not None else predecessor(repo, snapshot, snapshots)
    current = _files(repo, snapshot.tree)
    before = _files(repo, previous.tree) if previous is not None else {}
    changes = _diff(current, before)
    found: list[Anomaly | None] = [ransom_notes(changes), onion_addresses(repo, changes)]
    if previous is not None:  # the relative signs need something to compare with
        seen = {_ext(p) for s in _older(snapshots, snapshot) for p in _files(repo, s.tree)}
        found += [
            renamed_pairs(changes),
            new_extensions(repo, changes, seen or {_ext(p) for p in before}),
            entropy_jump(repo, changes),
            compression_collapse(repo, changes),
        ]
    return [a for a in found if a is not None]


def _older(snapshots: Sequence[Snapshot], snapshot: Snapshot, limit: int = 5) -> list[Snapshot]:
    """Up to ``limit`` earlier snapshots of the same host (the extensions seen before)."""
    older = [s for s in snapshots if s.time < snapshot.time and s.host == snapshot.host]
    return older[-limit:]


def assess_snapshot(repo: Repository, name: str) -> list[Anomaly]:
    """``rempart backup run``'s hook: assess the snapshot just written and, when something is
    found, leave the marker in the repository."""
    snapshot = repo.load_snapshot(name)
    found = assess(repo, snapshot)
    if found:
        mark(repo, snapshot, found)
    return found


# -- markers --------------------------------------------------------------------------------


def markers_supported() -> bool:
    """Whether the repository format has the ``anomalies`` kind (docs/vault-format.md)."""
    from rempart.vault.backends.base import KINDS

    return MARKER_KIND in KINDS


def mark(repo: Repository, snapshot: Snapshot, anomalies: Sequence[Anomaly]) -> bool:
    """Write the marker object (encrypted; its name is the snapshot's). False when the
    repository format has no place for it yet (the store still records the flag)."""
    from rempart.vault import crypto
    from rempart.vault.errors import ObjectExists

    if not markers_supported():
        return False
    doc = {
        "version": 1,
        "snapshot": snapshot.name,
        "time": datetime.now(UTC).isoformat(),
        "anomalies": [
            {"kind": a.kind, "detail": a.detail, "paths": list(a.paths)} for a in anomalies
        ],
    }
    raw = crypto.encrypt(
        repo.master.data, json.dumps(doc, sort_keys=True).encode("utf-8"), AAD_ANOMALY
    )
    try:
        repo.backend.put(MARKER_KIND, snapshot.name, raw)
    except ObjectExists:
        pass  # already flagged
    return True


def flagged(repo: Repository) -> dict[str, tuple[str, ...]]:
    """Snapshot name → the lines of its anomalies, for every flagged snapshot: from the
    repository's markers, and from the store's backup runs of this repository."""
    from rempart.vault import crypto
    from rempart.vault.crypto import DecryptError

    out: dict[str, tuple[str, ...]] = {}
    if markers_supported():
        for name in repo.backend.list(MARKER_KIND):
            try:
                doc = json.loads(
                    crypto.decrypt(
                        repo.master.data, repo.backend.get(MARKER_KIND, name), AAD_ANOMALY
                    )
                )
                out[str(doc["snapshot"])] = tuple(str(a["detail"]) for a in doc["anomalies"])
            except (DecryptError, RepositoryCorrupt, ValueError, KeyError, TypeError):
                out[name] = (_("anomaly marker unreadable"),)  # a forged marker still flags
    out.update({k: v for k, v in _store_flags(repo.location).items() if k not in out})
    return out


def _store_flags(location: str) -> dict[str, tuple[str, ...]]:
    try:
        from sqlalchemy import select

        from rempart.store import Store
        from rempart.store.models import BackupRunRow

        with Store.open() as store, store._session() as session:
            rows = session.scalars(
                select(BackupRunRow).where(
                    BackupRunRow.status == "anomalous",
                    BackupRunRow.repository == location,
                    BackupRunRow.snapshot_id.is_not(None),
                )
            ).all()
            return {str(r.snapshot_id): tuple(r.anomalies or ()) for r in rows}
    except Exception:  # the store is a second source; the repository is the first
        return {}


def latest_clean(repo: Repository) -> tuple[Snapshot, list[Snapshot]]:
    """The newest snapshot not flagged, and the newer flagged ones passed over."""
    snaps = repo.snapshots()
    if not snaps:
        raise VaultError(
            _("The repository at {location} holds no snapshot yet.").format(location=repo.location)
        )
    flags = flagged(repo)
    skipped: list[Snapshot] = []
    for snap in reversed(snaps):
        if snap.name in flags:
            skipped.append(snap)
            continue
        return snap, skipped
    raise VaultError(
        _(
            "Every snapshot in {location} is flagged as anomalous: choose one by its ID "
            "('rempart backup list') after checking it."
        ).format(location=repo.location)
    )
