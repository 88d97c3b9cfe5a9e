"""Clocks of the bench."""

import statistics
import time

STARTED = time.monotonic()


def say(text):
    """A progress line, with the seconds since the pass started."""
    print(f"  [{time.monotonic() - STARTED:5.0f} s] {text}", flush=True)


def median_seconds(function, repeat):
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def percentile(values, fraction):
    """The value below which `fraction` of `values` fall (nearest rank)."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]
