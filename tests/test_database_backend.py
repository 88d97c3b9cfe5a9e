"""config.postgresql: the health check of a kept connection sends nothing while the
connection is sound, and a connection the server closed is replaced before a request
uses it. Against the real PostgreSQL server (the suite's second pass, DATABASE_URL)."""

import time

import pytest
from django.db import connection
from django.db.backends.postgresql.base import DatabaseWrapper as DjangoDatabaseWrapper

from config.postgresql.base import DatabaseWrapper

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="PostgreSQL's connection checks: this pass runs on SQLite (DATABASE_URL unset)"),
]


@pytest.fixture
def kept_connection():
    """A second connection to the test database, kept open as a web worker keeps one
    between requests (outside the test's transaction)."""
    opened = []

    def open_one(wrapper_class=DatabaseWrapper):
        wrapper = wrapper_class({**connection.settings_dict, "CONN_HEALTH_CHECKS": True}, alias="kept")
        wrapper.ensure_connection()
        opened.append(wrapper)
        return wrapper

    yield open_one
    for wrapper in opened:
        wrapper.close()


def run(wrapper, sql):
    with wrapper.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def last_statement(pid):
    """What the server last received from the backend `pid`, as it reports it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid])
        return cursor.fetchone()[0]


def next_request_checks(wrapper):
    """The check Django runs before the first query of a request on a kept connection."""
    wrapper.health_check_done = False  # as the end of the previous request leaves it
    wrapper.close_if_health_check_failed()


def test_a_sound_idle_connection_is_checked_without_a_round_trip(kept_connection):
    ours, djangos = kept_connection(), kept_connection(DjangoDatabaseWrapper)
    for wrapper in (ours, djangos):
        wrapper.pid = run(wrapper, "SELECT pg_backend_pid() /* the previous request */")
        next_request_checks(wrapper)

    assert last_statement(ours.pid).endswith("/* the previous request */")
    assert last_statement(djangos.pid) == "SELECT 1"  # Django's check: one more round trip per request
    assert ours.connection is not None and run(ours, "SELECT pg_backend_pid()") == ours.pid


def test_a_connection_the_server_closed_is_replaced_before_the_request_uses_it(kept_connection):
    wrapper = kept_connection()
    pid = run(wrapper, "SELECT pg_backend_pid()")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    deadline = time.monotonic() + 5
    while not wrapper.idle_connection_has_news():  # the server's goodbye reaches the socket
        assert time.monotonic() < deadline, "the server did not close the connection"
        time.sleep(0.01)

    next_request_checks(wrapper)

    assert run(wrapper, "SELECT pg_backend_pid()") != pid  # a new connection, and no error
