"""A repository in an S3 bucket with Object Lock: the copy that ransomware cannot erase.

The practice's PC holds credentials that may *add* objects and read them, never delete them
nor shorten their lock (docs/vault.md, "S3 immuable", gives the bucket settings and the IAM
policy). Every ``put`` sends ``If-None-Match: *`` and, when the bucket has Object Lock, mode
``COMPLIANCE`` with a retain-until date ``retention_days`` ahead: before that date nobody,
not even the bucket's owner, can delete or overwrite the object version.

**First version wins.** In a versioned bucket an attacker holding the PC's credentials can
still *add*: a newer version of a key with garbage in it, or a delete marker that hides it.
Rempart never writes a key twice, so the authentic content of a key is always its *oldest*
version: this backend lists versions and reads that one, by version ID. Newer versions and
delete markers are ignored; the locked original stays readable.

Network: connect and read timeouts; idempotent calls are retried with exponential backoff
(a ``put`` too, since ``If-None-Match`` makes a repeated put harmless); what still fails
becomes one :class:`~rempart.vault.errors.BackendUnavailable` line.
"""

from __future__ import annotations

import functools
import hashlib
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import boto3  # type: ignore[import-untyped]
from botocore.config import Config  # type: ignore[import-untyped]
from botocore.exceptions import (  # type: ignore[import-untyped]
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
    ResponseStreamingError,
)

from rempart.i18n import _
from rempart.vault.backends.base import check_kind, check_name
from rempart.vault.errors import (
    BackendUnavailable,
    ObjectExists,
    RepositoryCorrupt,
    RetentionRefused,
    StorageFull,
    VaultError,
)

if TYPE_CHECKING:
    from rempart.config import VaultSettings

T = TypeVar("T")

# Environment variables read before boto3's own chain (AWS_ACCESS_KEY_ID, ~/.aws/…): they let
# Rempart's S3 credentials live beside, not instead of, whatever else the PC uses AWS for.
ENV_ACCESS_KEY = "REMPART_S3_ACCESS_KEY_ID"
ENV_SECRET_KEY = "REMPART_S3_SECRET_ACCESS_KEY"  # noqa: S105 (a variable's name, no secret)

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 120.0  # a 16 MiB pack over a 1 Mbit/s upload takes about two minutes
ATTEMPTS = 5
BACKOFF = 0.5  # seconds before the first retry; doubled each time, with jitter

_TRANSIENT_CODES = frozenset(
    {
        "RequestTimeout",
        "RequestTimeoutException",
        "InternalError",
        "ServiceUnavailable",
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "OperationAborted",
    }
)
_DENIED_CODES = frozenset({"AccessDenied", "AllAccessDisabled", "ObjectLocked"})
_CREDENTIAL_CODES = frozenset(
    {"InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"}
)
_FULL_CODES = frozenset({"QuotaExceeded", "XMinioStorageFull", "InsufficientStorage"})
_MISSING_CODES = frozenset({"NoSuchKey", "NoSuchVersion", "404", "NotFound"})


@dataclass(frozen=True)
class S3Location:
    """``s3://bucket/prefix?endpoint=https://…&region=…``, parsed."""

    bucket: str
    prefix: str
    endpoint: str | None
    region: str | None

    @classmethod
    def parse(cls, location: str) -> S3Location:
        parts = urlsplit(location.strip())
        if parts.scheme.lower() != "s3" or not parts.netloc:
            raise VaultError(
                _(
                    "'{location}' is not an S3 location: write s3://bucket/prefix"
                    "?endpoint=https://server (the endpoint may be left out for Amazon S3)."
                ).format(location=location)
            )
        query = parse_qs(parts.query)
        endpoint = next(iter(query.get("endpoint", [])), None)
        if endpoint is not None:
            scheme = urlsplit(endpoint).scheme.lower()
            if scheme not in ("http", "https"):
                raise VaultError(
                    _(
                        "The S3 endpoint '{endpoint}' must start with https:// (or http:// "
                        "for a server on this computer)."
                    ).format(endpoint=endpoint)
                )
        return cls(
            bucket=parts.netloc,
            prefix=parts.path.strip("/"),
            endpoint=endpoint,
            region=next(iter(query.get("region", [])), None),
        )

    def printable(self) -> str:
        """The location without anything secret (credentials never appear in it)."""
        base = f"s3://{self.bucket}/{self.prefix}".rstrip("/")
        if self.endpoint:
            parts = urlsplit(self.endpoint)
            host = parts.hostname or ""
            if parts.port:
                host = f"{host}:{parts.port}"
            return f"{base}?endpoint={parts.scheme}://{host}"
        return base


@dataclass
class _Version:
    version_id: str | None  # None: the bucket is not versioned
    size: int


def open_s3(location: str, settings: VaultSettings | None = None) -> S3Backend:
    """The S3 backend for ``location`` with the settings' retention and region.

    No network traffic happens here: the bucket is first asked about on first use.
    """
    from rempart.config import VaultSettings

    settings = settings or VaultSettings()
    where = S3Location.parse(location)
    return S3Backend(
        where,
        region=where.region or settings.s3_region,
        retention_days=settings.retention_days,
        access_key=os.environ.get(ENV_ACCESS_KEY) or None,
        secret_key=os.environ.get(ENV_SECRET_KEY) or None,
    )


class S3Backend:
    """Objects as S3 keys ``<prefix>/<kind>/<name>`` (data: ``<prefix>/data/<ab>/<name>``)."""

    def __init__(
        self,
        where: S3Location,
        *,
        region: str = "us-east-1",
        retention_days: int = 30,
        access_key: str | None = None,
        secret_key: str | None = None,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
        attempts: int = ATTEMPTS,
        backoff: float = BACKOFF,
    ) -> None:
        if retention_days < 1:
            raise VaultError(_("The S3 retention must be at least 1 day (setting retention_days)."))
        self.where = where
        self.location = where.printable()
        self.retention = timedelta(days=retention_days)
        self.attempts = max(1, attempts)
        self.backoff = backoff
        config = Config(
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"total_max_attempts": 1},  # retries are ours: we know what is idempotent
            s3={"addressing_style": "path"} if where.endpoint else {},
            max_pool_connections=32,
        )
        session = boto3.session.Session(
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key if access_key else None,
            region_name=region,
        )
        self._client: Any = session.client("s3", endpoint_url=where.endpoint, config=config)
        self._lock = threading.Lock()
        self._versions: dict[str, _Version] = {}
        self._immutable: bool | None = None
        self._versioned: bool | None = None

    # -- keys ----------------------------------------------------------------------------

    def _key(self, kind: str, name: str) -> str:
        check_kind(kind)
        check_name(name)
        if kind == "config":
            rel = "config"
        elif kind == "data":
            rel = f"data/{name[:2]}/{name}"
        else:
            rel = f"{kind}/{name}"
        return f"{self.where.prefix}/{rel}" if self.where.prefix else rel

    def _kind_prefix(self, kind: str) -> str:
        check_kind(kind)
        rel = "config" if kind == "config" else f"{kind}/"
        return f"{self.where.prefix}/{rel}" if self.where.prefix else rel

    # -- errors and retries --------------------------------------------------------------

    def _unavailable(self, what: str, reason: object) -> BackendUnavailable:
        return BackendUnavailable(
            _(
                "Cannot reach the S3 storage {location} ({what}: {reason}): check the "
                "internet connection and the endpoint; the repository is unchanged."
            ).format(location=self.location, what=what, reason=reason)
        )

    def _translate(self, exc: Exception, what: str) -> Exception:
        """A boto error as one line for a person."""

        if isinstance(exc, NoCredentialsError | PartialCredentialsError):
            return VaultError(
                _(
                    "No S3 credentials for {location}: set {access} and {secret} (or the AWS "
                    "profile) to the keys the IT provider gave for this PC."
                ).format(location=self.location, access=ENV_ACCESS_KEY, secret=ENV_SECRET_KEY)
            )
        if isinstance(exc, ClientError):
            code = _code(exc)
            if code == "NoSuchBucket":
                return VaultError(
                    _(
                        "The bucket '{bucket}' does not exist at {location}: ask the IT "
                        "provider to create it with Object Lock (docs/vault.md)."
                    ).format(bucket=self.where.bucket, location=self.location)
                )
            if code in _CREDENTIAL_CODES:
                return VaultError(
                    _(
                        "The S3 storage {location} refuses the credentials ({code}): check "
                        "{access} and {secret}."
                    ).format(
                        location=self.location,
                        code=code,
                        access=ENV_ACCESS_KEY,
                        secret=ENV_SECRET_KEY,
                    )
                )
            if code in _FULL_CODES:
                return StorageFull(
                    _(
                        "The S3 storage {location} is full ({code}): ask the IT provider for "
                        "more room; the repository is unchanged."
                    ).format(location=self.location, code=code)
                )
            if code in _DENIED_CODES:
                return VaultError(
                    _(
                        "The S3 storage {location} refuses '{what}' to these credentials: "
                        "give them the permissions listed in docs/vault.md."
                    ).format(location=self.location, what=what)
                )
            return self._unavailable(what, code or exc)
        return self._unavailable(what, exc)

    def _call(self, what: str, fn: Callable[[], T]) -> T:
        """Run ``fn`` (an idempotent request), retrying transient failures with backoff."""

        delay = self.backoff
        for attempt in range(1, self.attempts + 1):
            try:
                return fn()
            except ClientError as exc:
                if not _transient(exc) or attempt == self.attempts:
                    raise
            except BotoCoreError as exc:
                if not _network(exc):
                    raise self._translate(exc, what) from exc
                if attempt == self.attempts:
                    raise self._unavailable(what, exc) from exc
            time.sleep(delay * (0.75 + random.random() / 2))  # backoff between retries
            delay *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    # -- the bucket ----------------------------------------------------------------------

    def _probe(self) -> None:
        """Ask the bucket once whether it has Object Lock and versioning."""

        if self._immutable is not None:
            return
        bucket = self.where.bucket
        try:
            lock = self._call(
                "object lock",
                lambda: self._client.get_object_lock_configuration(Bucket=bucket),
            )
            enabled = lock.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled")
            immutable = enabled == "Enabled"
        except ClientError as exc:
            code = _code(exc)
            if code in ("ObjectLockConfigurationNotFoundError", "ObjectLockConfigurationNotFound"):
                immutable = False
            elif code in _DENIED_CODES:
                raise VaultError(
                    _(
                        "The S3 storage {location} does not let these credentials read the "
                        "bucket's Object Lock setting: grant s3:GetBucketObjectLockConfiguration "
                        "(docs/vault.md)."
                    ).format(location=self.location)
                ) from exc
            else:
                raise self._translate(exc, "object lock") from exc
        versioned = immutable  # Object Lock implies versioning
        if not immutable:
            try:
                status = self._call(
                    "versioning", lambda: self._client.get_bucket_versioning(Bucket=bucket)
                )
                versioned = status.get("Status") in ("Enabled", "Suspended")
            except ClientError as exc:
                if _code(exc) in _DENIED_CODES:
                    versioned = True  # listing versions works on any bucket; ask for them
                else:
                    raise self._translate(exc, "versioning") from exc
        self._versioned = versioned
        self._immutable = immutable

    @property
    def immutable(self) -> bool:
        """True when the bucket has Object Lock: every object is written in COMPLIANCE mode."""
        self._probe()
        return bool(self._immutable)

    # -- versions (first version wins) ---------------------------------------------------

    def _list_versions(self, prefix: str) -> dict[str, _Version]:
        """Every key under ``prefix`` and its oldest version (delete markers ignored)."""

        self._probe()
        found: dict[str, _Version] = {}
        bucket = self.where.bucket
        try:
            if self._versioned:
                kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
                while True:
                    page = self._call(
                        "list", functools.partial(self._client.list_object_versions, **kwargs)
                    )
                    # S3 lists the versions of a key newest first: the last one seen is
                    # the oldest, the one Rempart wrote.
                    for version in page.get("Versions", []):
                        found[version["Key"]] = _Version(
                            version.get("VersionId"), int(version.get("Size", 0))
                        )
                    if not page.get("IsTruncated"):
                        break
                    kwargs = {
                        "Bucket": bucket,
                        "Prefix": prefix,
                        "KeyMarker": page.get("NextKeyMarker"),
                        "VersionIdMarker": page.get("NextVersionIdMarker"),
                    }
            else:
                kwargs = {"Bucket": bucket, "Prefix": prefix}
                while True:
                    page = self._call(
                        "list", functools.partial(self._client.list_objects_v2, **kwargs)
                    )
                    for obj in page.get("Contents", []):
                        found[obj["Key"]] = _Version(None, int(obj.get("Size", 0)))
                    if not page.get("IsTruncated"):
                        break
                    kwargs = {
                        "Bucket": bucket,
                        "Prefix": prefix,
                        "ContinuationToken": page.get("NextContinuationToken"),
                    }
        except ClientError as exc:
            raise self._translate(exc, "list") from exc
        with self._lock:
            self._versions.update(found)
        return found

    def _version(self, key: str, *, refresh: bool = False) -> _Version | None:
        if not refresh:
            with self._lock:
                known = self._versions.get(key)
            if known is not None:
                return known
        return self._list_versions(key).get(key)

    def _missing(self, kind: str, name: str) -> RepositoryCorrupt:
        return RepositoryCorrupt(
            _(
                "The object {kind}/{name} is missing from {location}: run "
                "'rempart backup check' to see what is affected."
            ).format(kind=kind, name=name, location=self.location)
        )

    # -- the Backend protocol ------------------------------------------------------------

    def put(self, kind: str, name: str, data: bytes) -> None:

        key = self._key(kind, name)
        immutable = self.immutable
        if self._version(key) is not None:
            raise self._exists(kind, name)
        kwargs: dict[str, Any] = {
            "Bucket": self.where.bucket,
            "Key": key,
            "Body": data,
            "IfNoneMatch": "*",
            "ContentMD5": _md5_b64(data),
        }
        if immutable:
            kwargs["ObjectLockMode"] = "COMPLIANCE"
            kwargs["ObjectLockRetainUntilDate"] = datetime.now(UTC) + self.retention
        tried = False

        def attempt() -> Any:
            nonlocal tried
            retry, tried = tried, True
            try:
                return self._client.put_object(**kwargs)
            except ClientError as exc:
                # After a lost answer, the first try may have landed: the same bytes are
                # there, and that is success.
                if retry and _code(exc) in ("PreconditionFailed", "412"):
                    return self._same_object(key, data)
                raise

        try:
            answer = self._call("put", attempt)
        except ClientError as exc:
            if _code(exc) in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                raise self._exists(kind, name) from exc
            raise self._translate(exc, f"put {kind}/{name}") from exc
        version_id = answer.get("VersionId") if isinstance(answer, dict) else None
        if version_id is None and self._versioned:
            self._version(key, refresh=True)
        else:
            with self._lock:
                self._versions[key] = _Version(version_id, len(data))

    def _same_object(self, key: str, data: bytes) -> dict[str, Any]:
        version = self._version(key, refresh=True)
        if version is None or version.size != len(data):
            raise VaultError(
                _("The object {key} appeared at {location} with other content.").format(
                    key=key, location=self.location
                )
            )
        return {"VersionId": version.version_id}

    def _exists(self, kind: str, name: str) -> ObjectExists:
        return ObjectExists(
            _("The object {kind}/{name} already exists in {location}.").format(
                kind=kind, name=name, location=self.location
            )
        )

    def _get(self, kind: str, name: str, byte_range: str | None) -> bytes:

        key = self._key(kind, name)
        version = self._version(key)
        if version is None:
            raise self._missing(kind, name)
        kwargs: dict[str, Any] = {"Bucket": self.where.bucket, "Key": key}
        if version.version_id is not None:
            kwargs["VersionId"] = version.version_id
        if byte_range is not None:
            kwargs["Range"] = byte_range

        def fetch() -> bytes:
            answer = self._client.get_object(**kwargs)
            body: bytes = answer["Body"].read()
            return body

        try:
            return self._call(f"get {kind}/{name}", fetch)
        except ClientError as exc:
            code = _code(exc)
            if code in _MISSING_CODES:
                with self._lock:
                    self._versions.pop(key, None)
                raise self._missing(kind, name) from exc
            if code == "InvalidRange":
                raise self._truncated(kind, name) from exc
            raise self._translate(exc, f"get {kind}/{name}") from exc

    def _truncated(self, kind: str, name: str) -> RepositoryCorrupt:
        return RepositoryCorrupt(
            _(
                "The object {kind}/{name} in {location} is truncated: run "
                "'rempart backup check' to see what is affected."
            ).format(kind=kind, name=name, location=self.location)
        )

    def get(self, kind: str, name: str) -> bytes:
        return self._get(kind, name, None)

    def get_range(self, kind: str, name: str, offset: int, length: int) -> bytes:
        if length <= 0:
            return b""
        data = self._get(kind, name, f"bytes={offset}-{offset + length - 1}")
        if len(data) != length:
            raise self._truncated(kind, name)
        return data

    def list(self, kind: str) -> Iterator[str]:
        prefix = self._kind_prefix(kind)
        found = self._list_versions(prefix)
        if kind == "config":
            if prefix in found:
                yield "config"
            return
        names = []
        for key in found:
            name = key.rsplit("/", 1)[-1]
            try:
                if self._key(kind, name) == key:
                    names.append(name)
            except ValueError:
                continue  # a stranger's key in our prefix: not ours to read
        yield from sorted(names)

    def exists(self, kind: str, name: str) -> bool:
        return self._version(self._key(kind, name)) is not None

    def size(self, kind: str, name: str) -> int:
        version = self._version(self._key(kind, name))
        if version is None:
            raise self._missing(kind, name)
        return version.size

    def delete(self, kind: str, name: str) -> None:
        """Delete every version of the object; under Object Lock the storage refuses until
        the retention date, and :class:`RetentionRefused` says until when."""

        key = self._key(kind, name)
        self._probe()
        bucket = self.where.bucket
        targets: list[str | None] = []
        try:
            if self._versioned:
                page = self._call(
                    "list", lambda: self._client.list_object_versions(Bucket=bucket, Prefix=key)
                )
                for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
                    if entry["Key"] == key:
                        targets.append(entry.get("VersionId"))
            else:
                targets.append(None)
        except ClientError as exc:
            raise self._translate(exc, f"delete {kind}/{name}") from exc
        for version_id in targets:
            kwargs: dict[str, Any] = {"Bucket": bucket, "Key": key}
            if version_id is not None:
                kwargs["VersionId"] = version_id
            try:
                self._call(
                    f"delete {kind}/{name}", functools.partial(self._client.delete_object, **kwargs)
                )
            except ClientError as exc:
                code = _code(exc)
                if code in _MISSING_CODES:
                    continue
                if code in _DENIED_CODES or code == "InvalidRequest":
                    raise RetentionRefused(
                        _(
                            "The S3 storage {location} keeps {kind}/{name} under retention"
                            "{until}: it cannot be deleted before then."
                        ).format(
                            location=self.location,
                            kind=kind,
                            name=name,
                            until=self._until(key, version_id),
                        )
                    ) from exc
                raise self._translate(exc, f"delete {kind}/{name}") from exc
        with self._lock:
            self._versions.pop(key, None)

    def _until(self, key: str, version_id: str | None) -> str:
        """' until <date>' when the storage tells the retention date, else ''."""
        kwargs: dict[str, Any] = {"Bucket": self.where.bucket, "Key": key}
        if version_id is not None:
            kwargs["VersionId"] = version_id
        try:
            answer = self._client.get_object_retention(**kwargs)
            date = answer["Retention"]["RetainUntilDate"]
        except Exception:
            return ""
        return _(" until {date}").format(date=date.strftime("%Y-%m-%d"))

    def retention_of(self, kind: str, name: str) -> tuple[str, datetime] | None:
        """The lock of the stored version (mode, retain-until date), or None if unlocked."""

        key = self._key(kind, name)
        version = self._version(key)
        if version is None:
            raise self._missing(kind, name)
        kwargs: dict[str, Any] = {"Bucket": self.where.bucket, "Key": key}
        if version.version_id is not None:
            kwargs["VersionId"] = version.version_id
        try:
            answer = self._call("retention", lambda: self._client.get_object_retention(**kwargs))
        except ClientError as exc:
            if _code(exc) in ("NoSuchObjectLockConfiguration", "InvalidRequest", *_MISSING_CODES):
                return None
            raise self._translate(exc, "retention") from exc
        retention = answer.get("Retention") or {}
        if "Mode" not in retention:
            return None
        return str(retention["Mode"]), retention["RetainUntilDate"]


def _code(exc: Any) -> str:
    error = getattr(exc, "response", {}).get("Error", {})
    return str(error.get("Code") or "")


def _status(exc: Any) -> int:
    meta = getattr(exc, "response", {}).get("ResponseMetadata", {})
    return int(meta.get("HTTPStatusCode") or 0)


def _transient(exc: Any) -> bool:
    return _code(exc) in _TRANSIENT_CODES or _status(exc) in (500, 502, 503, 504)


def _network(exc: Exception) -> bool:

    return isinstance(
        exc,
        EndpointConnectionError
        | ConnectTimeoutError
        | ReadTimeoutError
        | ConnectionClosedError
        | ResponseStreamingError,
    )


def _md5_b64(data: bytes) -> str:
    """Content-MD5 header: S3 requires an integrity checksum on Object Lock puts."""
    import base64

    return base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
