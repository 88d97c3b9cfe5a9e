"""The bench's throwaway PostgreSQL database: created before a pass, dropped after."""

from urllib.parse import urlsplit


def _admin(url):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(parts._replace(path="/postgres").geturl(), autocommit=True, connect_timeout=5)


def recreate_database(url):
    """Drop and create the PostgreSQL database at `url`: the bench's throwaway."""
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    with _admin(url) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url):
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    with _admin(url) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def postgres_reachable(url):
    try:
        with _admin(url):
            return True
    except Exception:  # noqa: BLE001 - any failure means "not here": the pass is skipped
        return False


def redis_reachable(url):
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping())
    except Exception:  # noqa: BLE001
        return False
