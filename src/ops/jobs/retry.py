"""How a failed job is tried again: bounded tries with a growing delay, the same in the in-process queue and in
the arq worker (arq itself retries only on `Retry`, so a job's exception is turned into one here)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import wraps
from typing import Any

from ops.errors import DomainError
from ops.jobs.registry import JobFunc

log = logging.getLogger("ops.jobs")


@dataclass(frozen=True)
class RetryPolicy:
    max_tries: int = 5
    first_delay: float = 5.0
    max_delay: float = 300.0

    def delay(self, failed_try: int) -> float:
        """Seconds to wait after try number `failed_try` (1-based) failed: 5, 10, 20, 40... capped."""
        return float(min(self.first_delay * 2 ** (failed_try - 1), self.max_delay))

    def retries(self, exc: BaseException, failed_try: int) -> bool:
        """A domain error (a contract gone, a rule broken) fails the same way every time: it is not retried."""
        return failed_try < self.max_tries and not isinstance(exc, DomainError)


DEFAULT_POLICY = RetryPolicy()


def arq_retrying(func: JobFunc, policy: RetryPolicy = DEFAULT_POLICY) -> JobFunc:
    """The job for the arq worker: its exception becomes arq's `Retry` with the policy's delay, until the last try,
    whose exception arq records as the job's failure."""

    @wraps(func)
    async def run(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        from arq import Retry

        try:
            return await func(ctx, *args, **kwargs)
        except Retry:
            raise
        except Exception as exc:
            tried = int(ctx.get("job_try") or 1)
            if not policy.retries(exc, tried):
                raise
            delay = policy.delay(tried)
            log.warning(
                "job %s failed (try %d of %d), again in %.0f s: %r", func.__name__, tried, policy.max_tries, delay, exc
            )
            raise Retry(defer=delay) from exc

    return run
