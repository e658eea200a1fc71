"""Retry delays shared by the release outbox and the notification e-mails."""

import random


def jittered_backoff(attempt: int, *, base: float, cap: float) -> float:
    """Exponential backoff with full jitter, capped: attempt 1 waits base/2..base."""
    return random.uniform(base / 2, min(cap, base * 2 ** max(attempt - 1, 0)))
