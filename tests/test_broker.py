"""Tests for config.broker, the crash-safe kombu filesystem transport.

No Django needed.  The stress test runs publishers and consumers as separate
processes by executing this very file as a script (see ``__main__`` below), so
it does not depend on how pytest imported it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from queue import Empty

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # config/ may be a namespace package
    sys.path.insert(0, str(ROOT))

import kombu  # noqa: E402
import pytest  # noqa: E402
from kombu.transport import TRANSPORT_ALIASES, _transport_cache  # noqa: E402

from config import broker  # noqa: E402

TRANSPORT = f"{broker.__name__}:Transport"


def options(folder: Path, **extra) -> dict:
    """Transport options with every folder under `folder` (one shared queue folder)."""
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "polling_interval": 0.01,
        **extra,
    }


def connect(folder: Path, transport: str = TRANSPORT, **extra) -> kombu.Connection:
    return kombu.Connection(transport=transport, transport_options=options(folder, **extra))


def visible(folder: Path) -> list[str]:
    return sorted(n for n in os.listdir(folder / "queue") if n.endswith(".msg") and not n.startswith("."))


# --------------------------------------------------------------------------
# unit tests


def test_message_round_trip(tmp_path):
    payload = {"text": "héllo", "n": [1, 2, 3], "blob": "x" * 10_000}
    with connect(tmp_path) as conn:
        q = conn.SimpleQueue("rt")
        q.put(payload)
        msg = q.get(timeout=1)
        assert msg.payload == payload
        msg.ack()
        with pytest.raises(Empty):
            q.get(timeout=0.05)
        q.close()
    assert visible(tmp_path) == []
    assert [n for n in os.listdir(tmp_path / "queue") if n.startswith(".")] == []  # no leftovers


def test_folders_created_and_processed_kept(tmp_path):
    with connect(tmp_path, store_processed=True) as conn:
        chan = conn.default_channel
        for name in ("queue", "processed", "control", "queue/errors"):
            assert (tmp_path / name).is_dir(), name
        chan._put("kept", {"properties": {}, "body": "b"})
        assert chan._get("kept")["body"] == "b"
    assert [n.endswith(".kept.msg") for n in os.listdir(tmp_path / "processed")] == [True]


def test_order_is_kept(tmp_path):
    with connect(tmp_path) as conn:
        chan = conn.default_channel
        for i in range(50):
            chan._put("ordered", {"i": i})
        assert [chan._get("ordered")["i"] for _ in range(50)] == list(range(50))


def test_temporary_files_are_never_consumed(tmp_path):
    with connect(tmp_path) as conn:
        chan = conn.default_channel
        queue_dir = tmp_path / "queue"
        # What _put leaves while writing, and what a consumer holds while reading.
        tmp = queue_dir / ".00000000000000000001_abc.tq.msg.tmp"
        tmp.write_bytes(b'{"half": ')
        claimed = queue_dir / ".00000000000000000002_abc.tq.msg.claimed"
        claimed.write_bytes(b"{}")
        with pytest.raises(Empty):
            chan._get("tq")
        assert tmp.exists() and claimed.exists()
        assert chan._size("tq") == 0
        chan._put("tq", {"ok": True})
        assert chan._get("tq") == {"ok": True}
        assert tmp.exists()


def test_put_is_atomic(tmp_path, monkeypatch):
    """While the payload is being written, no *.msg file is visible."""
    seen = []
    real_dumps = broker.dumps

    def spying_dumps(payload):
        seen.append(visible(tmp_path))
        return real_dumps(payload)

    with connect(tmp_path) as conn:
        chan = conn.default_channel
        monkeypatch.setattr(broker, "dumps", spying_dumps)
        chan._put("atomic", {"a": 1})
        assert seen == [[]]
        assert len(visible(tmp_path)) == 1


def test_corrupt_file_moved_to_errors_and_consumption_continues(tmp_path, caplog):
    with connect(tmp_path) as conn:
        chan = conn.default_channel
        queue_dir = tmp_path / "queue"
        # Older than anything _put writes, so it is tried first.
        (queue_dir / "1_partial.bad.msg").write_bytes(b'{"body": "trunc')
        (queue_dir / "2_empty.bad.msg").write_bytes(b"")
        (queue_dir / "3_notadict.bad.msg").write_bytes(b"42")
        (queue_dir / "4_binary.bad.msg").write_bytes(b"\xff\xfe\x00")
        chan._put("bad", {"fine": 1})
        with caplog.at_level(logging.WARNING, logger=broker.__name__):
            assert chan._get("bad") == {"fine": 1}
        with pytest.raises(Empty):
            chan._get("bad")
    assert sorted(os.listdir(queue_dir / "errors")) == [
        "1_partial.bad.msg",
        "2_empty.bad.msg",
        "3_notadict.bad.msg",
        "4_binary.bad.msg",
    ]
    assert (queue_dir / "errors" / "1_partial.bad.msg").read_bytes() == b'{"body": "trunc'
    assert sum("Undecodable" in r.getMessage() for r in caplog.records) == 4


def test_two_consumers_never_get_the_same_message(tmp_path):
    with connect(tmp_path) as c1, connect(tmp_path) as c2:
        a, b = c1.default_channel, c2.default_channel
        for i in range(200):
            a._put("shared", {"i": i})
        got = []
        # Prime both listing caches, then alternate: every name is in both.
        for chan in (a, b, a, b):
            got.append(chan._get("shared")["i"])
        while True:
            progressed = False
            for chan in (a, b, b, a):
                try:
                    got.append(chan._get("shared")["i"])
                    progressed = True
                except Empty:
                    pass
            if not progressed:
                break
    assert sorted(got) == list(range(200))


def test_lost_race_is_skipped_not_fatal(tmp_path):
    """A listed file claimed by someone else in the meantime is skipped."""
    with connect(tmp_path) as conn:
        chan = conn.default_channel
        chan._put("race", {"i": 1})
        chan._put("race", {"i": 2})
        first, second = visible(tmp_path)
        assert chan._get("race") == {"i": 1}  # caches `second`
        os.rename(tmp_path / "queue" / second, tmp_path / "stolen")
        with pytest.raises(Empty):
            chan._get("race")


def test_fanout_and_exchange_tables(tmp_path):
    with connect(tmp_path) as conn:
        chan = conn.default_channel
        exchange = kombu.Exchange("bcast", type="fanout")
        queues = [kombu.Queue(f"bq{i}", exchange)(chan) for i in range(2)]
        for q in queues:
            q.declare()
        kombu.Producer(chan).publish({"hi": 1}, exchange=exchange, declare=[exchange])
        for q in queues:
            msg = q.get(no_ack=True)
            assert msg is not None and msg.payload == {"hi": 1}
        # An exchange file seen right after another process created it.
        (tmp_path / "control" / "fresh.exchange").write_bytes(b"")
        assert chan.get_table("fresh") == []
        chan._queue_bind("fresh", "rk", None, "fq")
        assert chan.get_table("fresh") == [("rk", "", "fq")]


def test_a_settled_message_lets_the_next_one_in_without_waiting_a_polling_interval(tmp_path):
    """A consumer whose prefetch is full (acks_late) gets its next message as soon as
    the one it holds is acknowledged, not after the idle poll (here 5 s)."""
    import threading

    with connect(tmp_path, polling_interval=5.0) as conn:
        queue = kombu.Queue("q", kombu.Exchange("q", type="direct"), routing_key="q")
        producer = conn.Producer()
        for n in range(2):
            producer.publish({"n": n}, exchange=queue.exchange, routing_key="q", declare=[queue])
        received = []
        channel = conn.default_channel
        channel.basic_qos(prefetch_size=0, prefetch_count=1)
        with kombu.Consumer(channel, queues=[queue], callbacks=[lambda body, message: received.append(message)]):
            conn.drain_events(timeout=1)
            assert [message.payload["n"] for message in received] == [0]
            # the first is settled 0.1 s after the consumer starts waiting for more
            threading.Timer(0.1, received[0].ack).start()
            started = time.monotonic()
            conn.drain_events(timeout=3)
            waited = time.monotonic() - started
            assert [message.payload["n"] for message in received] == [0, 1]
            assert 0.05 < waited < 1.0, waited
            received[1].ack()


def test_register_replaces_the_filesystem_alias(tmp_path, monkeypatch):
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)  # Celery prefers it to broker=
    monkeypatch.setitem(TRANSPORT_ALIASES, "filesystem", TRANSPORT_ALIASES["filesystem"])
    monkeypatch.setattr("kombu.transport._transport_cache", dict(_transport_cache))
    kombu.Connection("filesystem://").transport  # may cache the stock class
    broker.register()
    with kombu.Connection("filesystem://", transport_options=options(tmp_path)) as conn:
        assert type(conn.transport) is broker.Transport
        assert conn.transport.polling_interval == 0.01

    celery = pytest.importorskip("celery")
    app = celery.Celery(
        "t", broker="filesystem://", broker_transport_options=options(tmp_path, polling_interval=None)
    )
    with app.connection_for_write() as conn:
        assert type(conn.transport) is broker.Transport
        assert type(conn.default_channel) is broker.Channel
        assert conn.transport.polling_interval == broker.Transport.polling_interval
    assert (tmp_path / "queue" / "errors").is_dir()


# --------------------------------------------------------------------------
# stress: two publisher processes, two consumer processes, same folders

PUBLISHERS = 2
PER_PUBLISHER = 2500
STRESS_QUEUE = "stress"


def expected_body(pub: int, seq: int) -> dict:
    digest = hashlib.sha256(f"{pub}:{seq}".encode()).hexdigest()
    return {"pub": pub, "seq": seq, "data": digest * (1 + seq % 32)}  # 64 B .. 2 KB


def _publish(folder: Path, transport: str, pub: int, count: int) -> None:
    with connect(folder, transport) as conn:
        producer = conn.Producer(serializer="json")
        queue = kombu.Queue(STRESS_QUEUE)
        for seq in range(count):
            producer.publish(expected_body(pub, seq), routing_key=STRESS_QUEUE, declare=[queue])


def _consume(folder: Path, transport: str, out: Path) -> None:
    got, errors = [], []

    def on_message(body, message):
        got.append([body.get("pub"), body.get("seq"), body == expected_body(body.get("pub"), body.get("seq"))])
        message.ack()

    stop = folder / "stop"
    with connect(folder, transport) as conn:
        with conn.Consumer(kombu.Queue(STRESS_QUEUE), callbacks=[on_message], accept=["json"]):
            while True:
                # Publishers were done before `stop` appeared, so an empty drain
                # *after* seeing it means the queue really is empty.
                stopping = stop.exists()
                try:
                    conn.drain_events(timeout=0.2)
                except socket.timeout:
                    if stopping:
                        break
                except Exception as exc:  # the stock transport dies here
                    errors.append(repr(exc))
    out.write_text(json.dumps({"got": got, "errors": errors}))


def run_stress(folder: Path, transport: str = TRANSPORT, consumers: int = 2) -> dict:
    """Run the scenario; return counts of sent/received/lost/duplicated/unreadable."""
    folder.mkdir(parents=True, exist_ok=True)
    with connect(folder, transport) as conn:  # declare once, before the race
        kombu.Queue(STRESS_QUEUE)(conn.default_channel).declare()

    def spawn(*args):
        return subprocess.Popen([sys.executable, __file__, *map(str, args)])

    outs = [folder / f"consumer{i}.json" for i in range(consumers)]
    started = time.monotonic()
    cons = [spawn("consume", folder, transport, out) for out in outs]
    pubs = [spawn("publish", folder, transport, p, PER_PUBLISHER) for p in range(PUBLISHERS)]
    try:
        assert [p.wait(timeout=60) for p in pubs] == [0] * PUBLISHERS
        (folder / "stop").touch()
        assert [c.wait(timeout=60) for c in cons] == [0] * consumers
    finally:
        for p in pubs + cons:
            if p.poll() is None:
                p.kill()
    results = [json.loads(out.read_text()) for out in outs]
    got = [tuple(g) for r in results for g in r["got"]]
    keys = [(p, s) for p, s, _ in got]
    sent = {(p, s) for p in range(PUBLISHERS) for s in range(PER_PUBLISHER)}
    errors_dir = Path(options(folder)["data_folder_in"]) / "errors"
    return {
        "sent": len(sent),
        "received": len(got),
        "per_consumer": [len(r["got"]) for r in results],
        "lost": len(sent - set(keys)),
        "duplicated": len(keys) - len(set(keys)),
        "mismatched": sum(not ok for *_, ok in got),
        "unreadable": sum(len(r["errors"]) for r in results)
        + (len(os.listdir(errors_dir)) if errors_dir.is_dir() else 0),
        "error_samples": sorted({e[:120] for r in results for e in r["errors"]})[:3],
        "seconds": round(time.monotonic() - started, 2),
    }


def test_stress_concurrent_publishers_and_consumers(tmp_path):
    stats = run_stress(tmp_path)
    print(stats)
    assert stats["received"] == PUBLISHERS * PER_PUBLISHER, stats
    assert (stats["lost"], stats["duplicated"], stats["mismatched"], stats["unreadable"]) == (0, 0, 0, 0), stats
    assert visible(tmp_path) == []


if __name__ == "__main__":  # child processes of the stress test
    role, folder, transport, *rest = sys.argv[1:]
    if role == "publish":
        _publish(Path(folder), transport, int(rest[0]), int(rest[1]))
    elif role == "consume":
        _consume(Path(folder), transport, Path(rest[0]))
    else:
        raise SystemExit(f"unknown role {role!r}")
