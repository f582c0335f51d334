"""Shared test helpers: finite differences in float64, independent of the engine."""

import numpy as np


def central_difference(f, x, h=1e-6):
    """d(sum f)/dx by central differences, one element at a time (float64)."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = h * max(1.0, abs(x[index]))
        up, down = x.copy(), x.copy()
        up[index] += step
        down[index] -= step
        grad[index] = (np.sum(f(up)) - np.sum(f(down))) / (2 * step)
    return grad


def second_difference(f, x, h=1e-4):
    """d²f/dx² of a scalar function at scalar x."""
    return (f(x + h) - 2 * f(x) + f(x - h)) / (h * h)


def assert_close(actual, expected, rtol=1e-6, atol=1e-8, what="value"):
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != expected {expected.shape}"
    assert np.allclose(actual, expected, rtol=rtol, atol=atol), (
        f"{what}: got {actual!r}, expected {expected!r}, "
        f"largest difference {np.max(np.abs(actual - expected))}")


# Hypothesis profiles: "ci" (default) keeps the suite near a minute on two cores; "long"
# is the fuzzing profile to run on demand: HYPOTHESIS_PROFILE=long pytest tests/test_fuzz.py
import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=150, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
settings.register_profile("long", max_examples=3000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
