"""Passerelle measured like a user would: `make bench` (full) and `make bench-smoke`.

Pages are served by gunicorn (2 sync workers) and loaded by wrk (16 connections),
against a bare Django view served by the same gunicorn in the same run; each scenario
runs 3 times, the median is quoted. Grading goes through a real Celery worker (2
processes) against a no-op and a one-row task on the same broker and worker. Every
figure is a ratio to a ceiling measured in the same run, so figures travel between
machines. The table is markdown: paste it into a note.

Backends, each measured in a throwaway database the bench creates and removes:
  - the defaults: SQLite and the file broker (always);
  - PostgreSQL + Redis: BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/passerelle_bench),
    BENCH_BROKER_URL (redis://127.0.0.1:6379/15), BENCH_REDIS_URL (the broker's URL);
    skipped, with a line saying so, when they are not reachable.

`--smoke` (make bench-smoke, in CI): tiny sizes and one short run per scenario, the
defaults only; every row is printed, the targets are not enforced, any error fails.
Exit status: 0 all good, 1 a row over its target (full bench only), 2 a scenario failed,
130 interrupted (Ctrl-C, SIGTERM), after stopping everything it started."""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT)]

from benchkit import report  # noqa: E402
from benchkit.database import postgres_reachable, redis_reachable  # noqa: E402
from benchkit.processes import interrupt_on_signals  # noqa: E402
from benchkit.wrk import ensure_wrk  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/passerelle_bench"
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/15"
SERVER_VARIABLES = ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "CACHE_URL")


def bench_dir():
    if os.environ.get("BENCH_DIR"):
        return Path(os.environ["BENCH_DIR"])
    if os.environ.get("PASSERELLE_VAR_DIR"):
        return Path(os.environ["PASSERELLE_VAR_DIR"]) / "bench"
    return ROOT / "var" / "bench"


def backends(smoke):
    """[(name, environment overrides)], and a line for each backend skipped."""
    found = [("SQLite + file broker", {})]
    if smoke:
        return found, []
    explicit = any(os.environ.get(name) for name in ("BENCH_DATABASE_URL", "BENCH_BROKER_URL", "BENCH_REDIS_URL"))
    database = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    broker = os.environ.get("BENCH_BROKER_URL") or DEFAULT_BROKER_URL
    cache = os.environ.get("BENCH_REDIS_URL") or broker
    missing = [url for url, reachable in ((database, postgres_reachable), (broker, redis_reachable),
                                         (cache, redis_reachable)) if not reachable(url)]
    if missing:
        message = (f"PostgreSQL + Redis skipped: {', '.join(dict.fromkeys(missing))} not reachable "
                   "(set BENCH_DATABASE_URL, BENCH_BROKER_URL, BENCH_REDIS_URL to measure it).")
        if explicit:
            sys.exit(message.replace("skipped", "asked for, but"))
        return found, [message]
    found.append(("PostgreSQL + Redis", {"DATABASE_URL": database, "CELERY_BROKER_URL": broker, "REDIS_URL": cache}))
    return found, []


def stopped(child, timeout=60):
    try:
        child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def run_pass(name, overrides, folder, smoke, profile=False):
    """One backend, measured by a child process; its measures (dict)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    env = {key: value for key, value in os.environ.items() if key not in SERVER_VARIABLES}
    env.update(overrides)
    env.update(
        PASSERELLE_VAR_DIR=str(folder), DJANGO_SETTINGS_MODULE="benchkit.settings", DEBUG="false",
        LOG_LEVEL="WARNING", PYTHONPATH=os.pathsep.join([str(ROOT / "scripts"), str(ROOT)]),
        PYTHONUNBUFFERED="1",
    )
    out = folder / "measures.json"
    limit = 600 if smoke else 3600
    print(f"== {name}", flush=True)
    command = [sys.executable, "-m", "benchkit.backend", "--out", str(out)]
    command += (["--smoke"] if smoke else []) + (["--profile"] if profile else [])
    child = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        child.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        child.terminate()  # the child stops what it started (SIGTERM unwinds its finally blocks)
        stopped(child)
        return {"rows": [], "queries": {}, "memory": {}, "notes": [],
                "errors": [f"the pass did not finish within {limit} s"]}
    except KeyboardInterrupt:
        child.terminate()  # the child stops what it started (and ignores this if Ctrl-C reached it first)
        stopped(child)
        raise
    if not out.exists():
        return {"rows": [], "queries": {}, "memory": {}, "notes": [],
                "errors": [f"the pass stopped (exit {child.returncode}) without measures"]}
    return json.loads(out.read_text())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, short runs, targets not enforced")
    parser.add_argument("--profile", action="store_true",
                        help="also print a cProfile of 20 warm in-process requests of each page")
    args = parser.parse_args()
    interrupt_on_signals()
    ensure_wrk()
    folder = bench_dir()
    chosen, skipped = backends(args.smoke)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    passes = []
    try:
        for index, (name, overrides) in enumerate(chosen):
            passes.append((name, run_pass(name, overrides, folder / f"pass-{index}", args.smoke, args.profile)))
    except KeyboardInterrupt:
        print("Interrupted: every process the bench started has been stopped.", file=sys.stderr)
        sys.exit(130)

    sizes = passes[0][1].get("sizes", {})
    print()
    print(f"### make bench{'-smoke' if args.smoke else ''}: {started}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")
    print()
    print(f"Pages: gunicorn with 2 sync workers, wrk with 16 connections, {sizes.get('repeats')} run(s) of "
          f"{sizes.get('wrk_seconds')} s per scenario interleaved with the bare view, median quoted; DEBUG off. "
          f"Grading: one Celery worker with 2 processes.")
    print()
    print(*report.table(passes, enforce=not args.smoke), sep="\n")
    print()
    print(*report.queries_table(passes), sep="\n")
    print()
    print(*report.memory_lines(passes), sep="\n")
    for name, measures in passes:
        for note in measures.get("notes", []):
            print(f"- {name}: {note}")
    for line in skipped:
        print(f"- {line}")
    for name, measures in passes:
        for key, text in measures.get("profiles", {}).items():
            print(f"\n<details><summary>Profile: {report.PAGE_NAMES[key]}, {name}</summary>\n\n```\n{text}\n```\n"
                  "</details>")
    errors = [f"{name}: {error}" for name, measures in passes for error in measures.get("errors", [])]
    if errors:
        print("\nFAILED: a scenario could not be measured (logs under " f"{folder}):", *errors, sep="\n", file=sys.stderr)
        sys.exit(2)
    shutil.rmtree(folder, ignore_errors=True)
    over = [row for _name, measures in passes for row in measures["rows"] if report.missed(row)]
    if over and not args.smoke:
        print(f"\n{len(over)} row(s) over target.", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
