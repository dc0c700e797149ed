"""Plan jobs: a behaviour submits one on entering a state, cancels it on leaving, and polls it
from its tick. The search runs in a worker thread (the core releases the GIL).

With a deterministic (simulated) clock, a job's outcome is delivered at exactly
``submitted_at + latency_s`` of mission time, waiting for the worker if it is not done yet: the
same run then makes the same transitions at the same mission times on any machine.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Generic, TypeAlias, TypeVar

from ilrs_auto.planning.base import CancelToken, Plan, Planner, PlanRequest
from ilrs_auto.planning.errors import PlanningError

# A plan, a typed planning failure, or any other error the planner raised (a bug or bad
# input), which the behaviour turns into a fault rather than letting it escape its tick.
Outcome: TypeAlias = Plan | PlanningError | Exception

T = TypeVar("T")


class Job(Generic[T]):
    """A search running in a worker thread, whose result (a plan of type T) or failure is
    polled from a behaviour's tick."""

    def __init__(
        self, future: Future[T], token: CancelToken, ready_at_s: float, deterministic: bool
    ) -> None:
        self._future = future
        self._token = token
        self.ready_at_s = ready_at_s
        self._deterministic = deterministic

    def poll(self, now_s: float) -> T | Exception | None:
        """The plan or its failure once available at ``now_s`` (deterministic clocks: exactly
        at ``ready_at_s``, waiting for the worker if need be), else None."""
        if self._deterministic:
            if now_s < self.ready_at_s:
                return None
        elif not self._future.done():
            return None
        try:
            return self._future.result()
        except Exception as failure:  # returned to the behaviour, never swallowed
            return failure

    def cancel(self) -> None:
        self._token.cancel()
        self._future.cancel()


PlanJob: TypeAlias = Job[Plan]


class JobWorker:
    """One worker thread running searches, each delivered ``latency_s`` of mission time after
    it was submitted under a deterministic clock."""

    def __init__(self, latency_s: float, deterministic: bool, thread_name: str) -> None:
        self.latency_s = latency_s
        self.deterministic = deterministic
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=thread_name)

    def run(self, search: Callable[[CancelToken], T], now_s: float) -> Job[T]:
        """Starts ``search(token)`` in the worker; cancelling the job cancels the token."""
        token = CancelToken()
        future = self._executor.submit(search, token)
        return Job(future, token, now_s + self.latency_s, self.deterministic)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


class PlanJobRunner(JobWorker):
    def __init__(self, planner: Planner, latency_s: float, deterministic: bool) -> None:
        super().__init__(latency_s, deterministic, "ilrs-plan")
        self.planner = planner

    def submit(self, request: PlanRequest, now_s: float) -> PlanJob:
        def search(token: CancelToken) -> Plan:
            return self.planner.plan(
                PlanRequest(request.costmap, request.start, request.goal, request.timeout_s, token)
            )

        return self.run(search, now_s)
