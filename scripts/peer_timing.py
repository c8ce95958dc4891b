"""The timing rule the peer scripts share. Standard library only."""

import statistics
import time


def median_ns_per_element(f, n, seconds):
    """Median ns/element of f() over about `seconds` of calls (at least 7),
    after one warm-up call (which also allocates) and one call to size the
    repetitions."""
    f()
    t0 = time.perf_counter_ns()
    f()
    one = max(time.perf_counter_ns() - t0, 1)
    reps = int(max(7, min(10_000, seconds * 1e9 / one)))
    samples = []
    for _ in range(reps):
        t = time.perf_counter_ns()
        f()
        samples.append((time.perf_counter_ns() - t) / n)
    return statistics.median(samples)
