"""Django's PostgreSQL backend, with a health check that costs no round trip.

With CONN_HEALTH_CHECKS, Django sends `SELECT 1` before the first query of every
request on a persistent connection: one more round trip per page, more than a quarter of
a learner page's time on PostgreSQL. A connection that sits idle between requests has
nothing to say, unless the server has closed it or is closing it (a restart, an idle
timeout, `pg_terminate_backend`): then its last words or the end of the stream wait on the
socket. So the check looks at the socket without waiting, and only when something is
there asks Django's own check, which sends `SELECT 1` and closes the connection if that
fails. A connection lost without a word (a network cut) fails as it would after a
`SELECT 1` that succeeded a moment before it: on the request's first query."""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self):
        if self.connection is None or not self.health_check_enabled or self.health_check_done or self.pool:
            return
        if self.idle_connection_has_news() and not self.is_usable():
            self.close()
        self.health_check_done = True

    def idle_connection_has_news(self):
        """True if the idle connection is closed or the server has written to it."""
        if self.connection.closed or self.connection.broken:
            return True
        try:
            readable, _, _ = select.select([self.connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)
