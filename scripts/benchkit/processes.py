"""The processes the bench starts: each in its own process group, stopped by the bench
whatever happens (normal end, failure, Ctrl-C, a time limit), never left behind."""

import os
import signal
import subprocess
import time
from pathlib import Path

_started = []


class BenchError(Exception):
    """A scenario could not be measured (a non-2xx answer, a timeout, a dead process)."""


def start(command, *, log, env=None, cwd=None):
    """Start `command` in a new process group, its output in the file `log`."""
    log = Path(log)
    log.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=open(log, "ab"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    process.log = log
    _started.append(process)
    return process


def stop(process, timeout=15):
    """SIGTERM to the process group, then SIGKILL if it has not stopped in `timeout` s."""
    if process not in _started:
        return
    _started.remove(process)
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pass
    try:  # whatever is left in the group (a pool process that ignored the TERM)
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=timeout)


def stop_all():
    for process in reversed(list(_started)):
        stop(process)


def interrupt_on_signals():
    """Ctrl-C (SIGINT) or SIGTERM (a time limit, CI cancelling) unwinds the program: its
    finally blocks stop what it started. Only the first signal does: a second one while
    stopping is ignored, so that the cleaning up is not cut short. Set explicitly, as a
    shell starts background commands with SIGINT ignored."""
    def handler(signum, frame):
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def ensure_alive(process, what):
    if process.poll() is not None:
        tail = process.log.read_text(errors="replace")[-3000:]
        raise BenchError(f"{what} stopped (exit {process.returncode}); the end of {process.log}:\n{tail}")


def wait_until(condition, what, timeout, process=None, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        if process is not None:
            ensure_alive(process, what)
        if condition():
            return
        if time.monotonic() > deadline:
            raise BenchError(f"gave up waiting for {what} after {timeout} s")
        time.sleep(interval)


def children(pid):
    """Direct children of `pid` (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def peak_rss_mib(pid):
    """The most resident memory `pid` has used so far (VmHWM), in MiB; None if gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None
