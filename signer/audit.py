"""The audit of deliveries: one IssuedCredential row for every answer that carries credentials.

A row is recorded before the credentials are returned, in one of two ways (setting SIGNER_AUDIT):

- "database": one lean INSERT into IssuedCredential inside the request.
- "outbox" (the default when the cache is Redis): the row is appended to a Redis list, the outbox, in one RPUSH
  (a quarter of the INSERT's cost: bench/RESULTS.md), and written to the database in batches. For an answer its
  worker already holds, /sign and /sts append the row inside the throttle's script instead (`outbox_row`), in the
  round trip that counts the request. Redis has
  acknowledged the row before the answer leaves, so a worker killed afterwards (gunicorn's timeout, the OOM killer,
  SIGKILL on deploy) loses nothing; only a loss of Redis' own data would (run it with AOF persistence, see
  SECURITY.md). When Redis cannot take the row, it is inserted directly: a delivery is never left unaudited.

Draining is safe with any number of drainers (every worker runs one in a background thread; `manage.py drain_audit`
is another): a batch is *claimed* atomically (moved from the outbox to a claim list of its own, registered with its
time in a sorted set), inserted, then the claim is deleted. A drainer that dies between claiming and deleting leaves
its claim behind; any drainer adopts claims older than CLAIM_TIMEOUT and inserts them again. Rows carry a unique
`delivery_id`, and inserts ignore rows already present, so inserting a batch twice writes it once.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
import time
import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import DataError, IntegrityError, close_old_connections, connections, router, transaction
from django.db.models.options import Options
from django.utils import timezone

from signer import rediscache
from signer.models import AccessPolicy, CloudAccount, IssuedCredential

logger = logging.getLogger(__name__)

OUTBOX = "signer:audit:outbox"
CLAIMS = "signer:audit:claims"
CLAIM_PREFIX = "signer:audit:claim:"
REFUSED = "signer:audit:refused"
PAGE_SEEN = "signer:audit:page"
BATCH = 1000
# A claim this old belongs to a drainer that died (a batch takes milliseconds to insert): adopt it.
CLAIM_TIMEOUT = 60.0

# Move up to ARGV[1] rows from the outbox to a new claim list and register the claim, atomically.
_CLAIM_SCRIPT = """
local rows = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #rows == 0 then return 0 end
redis.call('LTRIM', KEYS[1], #rows, -1)
redis.call('RPUSH', KEYS[2], unpack(rows))
redis.call('ZADD', KEYS[3], ARGV[2], KEYS[2])
return #rows
"""

_DATETIMES = ("created", "expired_time")
_FIELDS = tuple(f for f in IssuedCredential._meta.concrete_fields if not f.primary_key)


def outbox_enabled() -> bool:
    return bool(settings.SIGNER_AUDIT == "outbox")


def record(*, first_page_use_only: bool = False, **values: Any) -> None:
    """The audit row of one delivery (IssuedCredential's fields by attname, without `created`/`delivery_id`);
    with `first_page_use_only`, only if `first_page_use` says the page has not used these credentials yet."""
    if first_page_use_only and not first_page_use(
        user_id=values["user_id"],
        tmp_secret_id=values["tmp_secret_id"],
        client_ip=values["client_ip"],
        expired_time=int(values["expired_time"].timestamp()),
    ):
        return
    values["created"] = timezone.now()
    values["delivery_id"] = uuid.uuid4()
    if outbox_enabled():
        try:
            _push(values)
        except Exception:  # noqa: BLE001 - whatever stopped Redis, the row still has to be written
            logger.warning("audit outbox unavailable; writing the row directly", exc_info=True)
        else:
            outbox_pushed()
            return
    _insert(values)


def outbox_row(**values: Any) -> bytes:
    """The outbox entry of one delivery (the same fields as `record`), for a caller that appends it to OUTBOX itself
    in a round trip it makes anyway (the API throttle's script); then call `outbox_pushed`."""
    values["created"] = timezone.now()
    values["delivery_id"] = uuid.uuid4()
    return _encode(values)


def outbox_pushed() -> None:
    """A row has been appended to the outbox: make sure this process drains it."""
    _drainer.ensure_running()


def first_page_use(*, user_id: Any, tmp_secret_id: str, client_ip: str | None, expired_time: int) -> bool:
    """Whether a page is using these credentials for this user and address for the first time.

    Pages fetch credentials on every view, for the portal's own COS calls on the user's behalf (the browser's uploads
    get theirs from /sign and /sts, audited each time): one row per credential, user and address is the audit of
    what pages used, where a row per view would bury everything else. One cache `add`, cheaper than the row."""
    ttl = expired_time - int(time.time())
    if ttl <= 0:
        return True
    return bool(cache.add(f"{PAGE_SEEN}:{user_id}:{client_ip or '-'}:{tmp_secret_id}", 1, timeout=ttl))


# ------------------------------------------------------------------------------------------------------ database


def _insert(values: dict[str, Any]) -> None:
    """One lean INSERT: no model instance, no save signals, no RETURNING; each field adapts its own value."""
    connection = connections[router.db_for_write(IssuedCredential)]
    quote = connection.ops.quote_name
    table = quote(IssuedCredential._meta.db_table)
    columns = ", ".join(quote(f.column) for f in _FIELDS)
    placeholders = ", ".join(["%s"] * len(_FIELDS))
    # Identifiers come from the model's metadata; every value is a parameter.
    sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
    params = [f.get_db_prep_save(values[f.attname], connection) for f in _FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# -------------------------------------------------------------------------------------------------------- outbox


def _encode(values: dict[str, Any]) -> bytes:
    row = {name: (value.isoformat() if name in _DATETIMES else value) for name, value in values.items()}
    row["delivery_id"] = str(values["delivery_id"])
    return json.dumps(row, separators=(",", ":")).encode()


def _decode(raw: bytes) -> IssuedCredential:
    row = json.loads(raw)
    for name in _DATETIMES:
        row[name] = datetime.fromisoformat(row[name])
    row["delivery_id"] = uuid.UUID(row["delivery_id"])
    return IssuedCredential(**row)


def _push(values: dict[str, Any]) -> None:
    rediscache.connection().rpush(rediscache.key(OUTBOX), _encode(values))


def pending() -> int:
    """Rows waiting in the outbox or in claims (0 when the audit writes to the database directly)."""
    if not outbox_enabled():
        return 0
    client = rediscache.connection()
    claims = client.zrange(rediscache.key(CLAIMS), 0, -1)
    return int(client.llen(rediscache.key(OUTBOX))) + sum(int(client.llen(claim)) for claim in claims)


def drain(*, limit: int | None = None, adopt_after: float = CLAIM_TIMEOUT) -> int:
    """Write rows waiting in the outbox (and claims older than `adopt_after` seconds, left by drainers that died)
    to the database; how many were written.

    Safe to run anywhere, any number at a time (adopting a live drainer's claim only writes its rows twice, once);
    a no-op when the audit writes to the database directly."""
    if not outbox_enabled():
        return 0
    client = rediscache.connection()
    claims_key = rediscache.key(CLAIMS)
    written = 0
    for claim in client.zrangebyscore(claims_key, "-inf", time.time() - adopt_after):
        written += _write_claim(client, claims_key, claim)
    outbox = rediscache.key(OUTBOX)
    while limit is None or written < limit:
        claim = f"{rediscache.key(CLAIM_PREFIX)}{uuid.uuid4().hex}"
        size = BATCH if limit is None else min(BATCH, limit - written)
        if not rediscache.run_script(_CLAIM_SCRIPT, keys=[outbox, claim, claims_key], args=[size, time.time()]):
            break
        written += _write_claim(client, claims_key, claim.encode())
    return written


def _write_claim(client: Any, claims_key: str, claim: bytes) -> int:
    raws = client.lrange(claim, 0, -1)
    try:
        if raws:
            _write_rows(raws)
    except (DataError, IntegrityError, ValueError, TypeError, KeyError):
        # A row the database (or the decoder) refuses would block every batch after it: write the rows one by one
        # and set the refused ones aside (kept in Redis under signer:audit:refused, logged). A database that is
        # down raises OperationalError instead: the claim stays, to be adopted once it is back.
        for raw in raws:
            try:
                _write_rows([raw])
            except (DataError, IntegrityError, ValueError, TypeError, KeyError) as exc:
                client.rpush(rediscache.key(REFUSED), raw)
                logger.error("audit row refused by the database (kept under %s): %s", REFUSED, exc)
    client.delete(claim)
    client.zrem(claims_key, claim)
    return len(raws)


def _write_rows(raws: list[bytes]) -> None:
    """Insert rows (outbox JSON), ignoring rows already written (a claim written twice); a user, policy or account
    deleted since the delivery is kept by name with a null link, as `on_delete=SET_NULL` does for older rows."""
    connection = connections[router.db_for_write(IssuedCredential)]
    if connection.vendor == "postgresql":
        _write_rows_postgresql(connection, raws)
    else:
        _bulk_insert([_decode(raw) for raw in raws])


def _write_rows_postgresql(connection: Any, raws: list[bytes]) -> None:
    """One statement for the whole batch: PostgreSQL reads the rows from one JSON array parameter
    (json_populate_recordset with the table's own row type) and links only the users, policies and accounts that
    still exist. Per row this costs a few microseconds of Python, where building model instances costs ~0.2 ms."""
    quote = connection.ops.quote_name
    meta = IssuedCredential._meta
    links: dict[str, Options[Any]] = {
        "user_id": get_user_model()._meta,
        "policy_id": AccessPolicy._meta,
        "account_id": CloudAccount._meta,
    }
    columns, values, joins = [], [], []
    for number, field in enumerate(_FIELDS):
        columns.append(quote(field.column))
        target = links.get(field.attname)
        if target is None:
            values.append(f"r.{quote(field.column)}")
        else:
            alias = f"l{number}"
            values.append(f"{alias}.{quote(target.pk.column)}")
            joins.append(
                f"LEFT JOIN {quote(target.db_table)} {alias} ON {alias}.{quote(target.pk.column)} = "
                f"r.{quote(field.column)}"
            )
    table = quote(meta.db_table)
    # Identifiers come from the models' metadata; the rows are one parameter.
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(values)} FROM json_populate_recordset(NULL::{table}, %s::json) r {' '.join(joins)} "
        f"ON CONFLICT ({quote(meta.get_field('delivery_id').column)}) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [(b"[" + b",".join(raws) + b"]").decode()])


def _bulk_insert(rows: list[IssuedCredential]) -> None:
    """The same through the ORM, for other databases."""
    for attempt in range(2):
        _unlink_deleted(rows)
        try:
            with transaction.atomic(using=router.db_for_write(IssuedCredential)):
                IssuedCredential.objects.bulk_create(rows, ignore_conflicts=True)
            return
        except IntegrityError:
            if attempt:
                raise  # something deleted the same rows again between the check and the insert


def _unlink_deleted(rows: list[IssuedCredential]) -> None:
    for attname, model in (
        ("user_id", get_user_model()),
        ("policy_id", AccessPolicy),
        ("account_id", CloudAccount),
    ):
        wanted = {getattr(row, attname) for row in rows} - {None}
        existing = set(model._default_manager.filter(pk__in=wanted).values_list("pk", flat=True)) if wanted else set()
        for row in rows:
            if getattr(row, attname) not in existing:
                setattr(row, attname, None)


# ------------------------------------------------------------------------------------------------------ drainer


class _Drainer:
    """One background thread per process writing the outbox every SIGNER_AUDIT_DRAIN_INTERVAL seconds.

    Started by the first row a process pushes (after a fork too: gunicorn workers start their own); 0 turns it off
    (rows then wait for `manage.py drain_audit` or another process' drainer). At exit, one last drain."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def ensure_running(self) -> None:
        if self._pid == os.getpid():
            return
        interval = float(settings.SIGNER_AUDIT_DRAIN_INTERVAL)
        if interval <= 0:
            return
        with self._lock:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._run, args=(interval,), name="audit-drain", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop this process' drainer (it starts again with the next row pushed)."""
        with self._lock:
            self._stop.set()
            thread, self._thread = self._thread, None
            self._pid = None
        if thread is not None:
            thread.join(timeout=5)

    def _run(self, interval: float) -> None:
        stop = self._stop
        while not stop.wait(interval):
            self._drain_once()

    def _drain_once(self) -> None:
        try:
            drain()
        except Exception:
            logger.exception("audit drain failed; the rows stay in the outbox")
        finally:
            close_old_connections()

    def _last_drain(self) -> None:
        self._stop.set()
        if self._pid == os.getpid():
            self._drain_once()


_drainer = _Drainer()
atexit.register(_drainer._last_drain)
