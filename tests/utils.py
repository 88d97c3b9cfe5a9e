import time
from pathlib import Path

import pytest


def wait_for(condition, *, timeout=30.0, interval=0.05, message="condition"):
    """Poll `condition` until it is true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    pytest.fail(f"Timed out after {timeout:.0f} s waiting for {message}.")


def mails_in(folder):
    """How many mails a process has written, whole, into `folder` (Django's file backend).

    The backend creates its file before it writes a message and ends each message with a
    line of 79 dashes: count those lines, never the files or a header."""
    return sum(path.read_text().count("\n" + "-" * 79 + "\n") for path in Path(folder).iterdir())


def inline_panel(prefix, rows):
    """The management form and rows of a Wagtail InlinePanel, as an admin form posts them."""
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{key}": value for key, value in row.items()})
        data.update({f"{prefix}-{index}-ORDER": str(index + 1), f"{prefix}-{index}-id": "", f"{prefix}-{index}-DELETE": ""})
    return data
