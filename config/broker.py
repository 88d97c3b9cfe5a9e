"""A crash-safe, multi-consumer filesystem transport for kombu / Celery.

kombu's stock ``filesystem://`` transport creates a message file and only then
writes into it, while consumers list, move and read files without any lock, so
a consumer can read an empty or half-written file and die on a JSON decode
error (kombu issue #1551).  This module fixes that by overriding the minimum:

Guarantees (on one local POSIX filesystem, where ``rename`` is atomic):

* **Publish is atomic.**  A message is written under a hidden temporary name
  (``.<name>.tmp``) in its destination folder, then ``os.replace``-d to its
  final name: a ``*.msg`` file is either complete or not there at all.
* **Each message is delivered to exactly one consumer.**  A consumer claims a
  file with an atomic ``os.rename`` to a hidden name in the same folder before
  reading it; a consumer that loses the race gets ``FileNotFoundError`` and
  simply moves on.  Any number of worker processes may share the folders.
* **A bad file never kills the worker.**  A file that does not decode to a
  kombu message (e.g. a partial file left by the stock transport) is moved to
  ``errors_folder`` with a logged warning, and consumption continues.
* **Order per queue is kept** as the parent does it: file names begin with a
  zero-padded wall-clock timestamp in nanoseconds (strictly increasing within
  a process) and consumers take the oldest first.
* **Exchange tables are never seen half-written.**  The binding tables in
  ``control_folder`` (used for routing and for Celery's broadcast/remote
  control) are created without truncation under ``flock``, so concurrent
  binders no longer lose bindings and readers no longer see an empty file.

Delivery is still *at most once* past ``_get``, like every kombu virtual
transport: once a message is handed to the worker its file is gone.

Transport options (``broker_transport_options`` in Celery) are the parent's
``data_folder_in``, ``data_folder_out``, ``processed_folder``,
``store_processed``, ``control_folder``, plus ``errors_folder`` (default
``<data_folder_in>/errors``), ``fsync`` (default False) and kombu's own
``polling_interval``.  Missing folders are created.

Call :func:`register` before the first connection so that ``filesystem://``
resolves to this transport.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import time
import uuid
from collections import deque
from queue import Empty

from kombu.exceptions import ChannelError
from kombu.transport import filesystem, virtual
from kombu.transport.filesystem import LOCK_EX, LOCK_SH, exchange_queue_t, lock, unlock
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads
from kombu.utils.objects import cached_property

__all__ = ["Channel", "Transport", "register"]

logger = logging.getLogger(__name__)

_stamp_lock = threading.Lock()
_last_stamp = 0


def _stamp() -> int:
    """Return wall-clock nanoseconds, strictly increasing within this process."""
    global _last_stamp
    with _stamp_lock:
        _last_stamp = max(time.time_ns(), _last_stamp + 1)
        return _last_stamp


def _parse_table(data: bytes) -> list[exchange_queue_t]:
    # An exchange file may be seen empty right after it was created.
    return [exchange_queue_t(*q) for q in loads(bytes_to_str(data))] if data.strip() else []


class QoS(virtual.QoS):
    """Tells the transport as soon as a message is settled (acknowledged or rejected).

    A worker may hold only its prefetch of messages unsettled; with ``acks_late`` a
    message stays unsettled until its task ends, so a worker whose prefetch is full
    fetches nothing, and kombu's loop then sleeps its whole polling interval even if
    the task ends at once.  Measured on 2 cores with a Celery worker of 2 processes:
    late-acknowledged one-row tasks ran at about half the rate of the same tasks
    acknowledged on receipt."""

    def ack(self, delivery_tag):
        super().ack(delivery_tag)
        self.channel.connection.wake()

    def reject(self, delivery_tag, requeue=False):
        super().reject(delivery_tag, requeue=requeue)
        self.channel.connection.wake()


class Channel(filesystem.Channel):
    """Filesystem channel with atomic publish and race-free consumption."""

    QoS = QoS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # queue -> names from the last listing, oldest first.  Draining this
        # before listing again keeps the order and avoids an O(n) listdir per
        # message; names another consumer took just fail to rename.
        self._pending: dict[str, deque[str]] = {}
        folders = [self.data_folder_in, self.data_folder_out, self.errors_folder, self.control_folder]
        if self.store_processed:
            folders.append(self.processed_folder)
        for folder in folders:
            os.makedirs(folder, exist_ok=True)

    @cached_property
    def errors_folder(self) -> str:
        return self.transport_options.get("errors_folder", os.path.join(self.data_folder_in, "errors"))

    @cached_property
    def fsync(self) -> bool:
        return bool(self.transport_options.get("fsync", False))

    # -- messages ------------------------------------------------------------

    def _put(self, queue, payload, **kwargs):
        """Write `payload` to a hidden temp file, then rename it into place."""
        name = f"{_stamp():020d}_{uuid.uuid4().hex}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        tmp = os.path.join(self.data_folder_out, f".{name}.tmp")  # never matches _get
        try:
            with open(tmp, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
                if self.fsync:
                    f.flush()
                    os.fsync(f.fileno())
            os.replace(tmp, final)
            if self.fsync:
                dir_fd = os.open(self.data_folder_out, os.O_RDONLY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)
        except OSError as exc:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc

    def _list(self, queue) -> list[str]:
        """Names of the visible messages of `queue`, oldest first."""
        wanted = f"{queue}.msg"
        return sorted(
            n for n in os.listdir(self.data_folder_in) if not n.startswith(".") and n.partition(".")[2] == wanted
        )

    def _get(self, queue):
        """Claim, read and return the oldest message of `queue`."""
        pending = self._pending.setdefault(queue, deque())
        relisted = False
        while pending or not relisted:
            if not pending:  # cache exhausted: list the folder once more
                pending.extend(self._list(queue))
                relisted = True
                continue
            name = pending.popleft()
            claimed = os.path.join(self.data_folder_in, f".{name}.claimed")
            try:
                os.rename(os.path.join(self.data_folder_in, name), claimed)
            except FileNotFoundError:
                continue  # another consumer got it first (or it was purged)
            except OSError as exc:
                raise ChannelError(f"Cannot claim file {name!r} from queue.") from exc
            try:
                with open(claimed, "rb") as f:
                    raw = f.read()
            except OSError as exc:
                raise ChannelError(f"Cannot read file {claimed!r} from queue.") from exc
            try:
                payload = loads(raw)
                if not isinstance(payload, dict):
                    raise ValueError(f"expected a JSON object, got {type(payload).__name__}")
            except Exception as exc:  # anything undecodable is set aside
                self._set_aside(claimed, name, exc)
                continue
            self._retire(claimed, name)
            return payload
        raise Empty()

    def _set_aside(self, claimed, name, exc):
        dest = os.path.join(self.errors_folder, name)
        logger.warning("Undecodable message file %r moved to %r: %r", name, dest, exc)
        try:
            shutil.move(claimed, dest)
        except OSError:
            logger.exception("Cannot move %r to %r; left as is", claimed, dest)

    def _retire(self, claimed, name):
        try:
            if self.store_processed:
                shutil.move(claimed, os.path.join(self.processed_folder, name))
            else:
                os.unlink(claimed)
        except OSError:
            logger.exception("Cannot remove processed message file %r", claimed)

    # -- exchange tables (control_folder, used for fanout and routing) ------
    # The parent creates a missing table with open("wb") before locking it, so
    # a concurrent reader can see an empty file (JSON error on publish) and two
    # concurrent binders can overwrite each other.  Create without truncating,
    # and treat an empty table as no bindings.

    def get_table(self, exchange):
        file = self._exchange_file(exchange)
        try:
            with file.open("rb") as f:
                lock(f, LOCK_SH)
                try:
                    return _parse_table(f.read())
                finally:
                    unlock(f)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise ChannelError(f"Cannot open {file}") from exc

    def _queue_bind(self, exchange, routing_key, pattern, queue):
        file = self._exchange_file(exchange)
        entry = exchange_queue_t(routing_key or "", pattern or "", queue or "")
        try:
            with os.fdopen(os.open(file, os.O_RDWR | os.O_CREAT, 0o666), "r+b", buffering=0) as f:
                lock(f, LOCK_EX)
                try:
                    table = _parse_table(f.read())
                    if entry not in table:
                        table.insert(0, entry)
                        f.seek(0)
                        f.write(str_to_bytes(dumps(table)))
                        f.truncate()
                finally:
                    unlock(f)
        except OSError as exc:
            raise ChannelError(f"Cannot open {file}") from exc


class Transport(filesystem.Transport):
    """kombu filesystem transport using :class:`Channel`."""

    Channel = Channel

    # Idle poll: a worker sleeps this long only after finding every queue
    # empty (a busy worker never sleeps).  One poll is one listdir per queue
    # consumed.  Measured on 2 cores with an idle Celery worker (main process):
    # 0.05 s -> ~0.5% CPU, median pickup ~26 ms; 0.02 s -> ~0.9%, ~8 ms;
    # 0.01 s -> ~1.3%, ~7 ms.  0.02 s: a grade is waited for by a learner, and
    # kombu's own 1 s would add up to a second to every task.  This is the one
    # place the project sets it; the ``polling_interval`` transport option
    # overrides it for one connection.
    polling_interval = 0.02

    def __init__(self, client, **kwargs):
        super().__init__(client, **kwargs)
        self._settled = threading.Event()

    def wake(self):
        """End the idle wait now: a message was settled, another may be fetched."""
        self._settled.set()

    def drain_events(self, connection, timeout=None):
        """kombu's loop (virtual.Transport.drain_events), waiting between polls on
        ``wake`` rather than sleeping: a prefetch freed by an acknowledgement is
        filled at once, not one polling interval later."""
        started = time.monotonic()
        interval = self.polling_interval
        if timeout and interval and interval > timeout:
            interval = timeout
        while True:
            self._settled.clear()  # before looking: a wake from now on ends the wait below
            try:
                self.cycle.get(self._deliver, timeout=timeout)
            except Empty:
                if timeout is not None and time.monotonic() - started >= timeout:
                    raise socket.timeout() from None
                if interval is not None:
                    self._settled.wait(interval)
            else:
                return

    @property
    def default_connection_params(self):
        # There is no host: an empty default stops kombu from logging
        # "No hostname was supplied" in every process (URIs still show localhost).
        return {"port": self.default_port, "hostname": ""}


def register() -> None:
    """Make the ``filesystem://`` URL (and ``"filesystem"`` alias) use :class:`Transport`."""
    from kombu import transport

    transport.TRANSPORT_ALIASES["filesystem"] = f"{__name__}:Transport"
    transport._transport_cache.pop("filesystem", None)  # drop a stock class resolved earlier
