import time

import pytest


def wait_for(condition, *, timeout=30.0, interval=0.05, message="condition"):
    """Poll `condition` until it is true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    pytest.fail(f"Timed out after {timeout:.0f} s waiting for {message}.")
