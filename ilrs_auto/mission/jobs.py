"""Plan jobs: a behaviour submits one on entering a state, cancels it on leaving, and polls it
from its tick. The search runs in a worker thread (the core releases the GIL).

With a deterministic (simulated) clock, a job's outcome is delivered at exactly
``submitted_at + latency_s`` of mission time, waiting for the worker if it is not done yet: the
same run then makes the same transitions at the same mission times on any machine.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeAlias

from ilrs_auto.planning.base import CancelToken, Plan, Planner, PlanRequest
from ilrs_auto.planning.errors import PlanningError

# A plan, a typed planning failure, or any other error the planner raised (a bug or bad
# input), which the behaviour turns into a fault rather than letting it escape its tick.
Outcome: TypeAlias = Plan | PlanningError | Exception


class PlanJob:
    def __init__(
        self, future: Future[Plan], token: CancelToken, ready_at_s: float, deterministic: bool
    ) -> None:
        self._future = future
        self._token = token
        self.ready_at_s = ready_at_s
        self._deterministic = deterministic

    def poll(self, now_s: float) -> Outcome | None:
        """The plan or its typed failure once available at ``now_s``, else None."""
        if self._deterministic:
            if now_s < self.ready_at_s:
                return None
        elif not self._future.done():
            return None
        try:
            plan: Plan = self._future.result()
            return plan
        except Exception as failure:  # returned to the behaviour, never swallowed
            return failure

    def cancel(self) -> None:
        self._token.cancel()
        self._future.cancel()


class PlanJobRunner:
    def __init__(self, planner: Planner, latency_s: float, deterministic: bool) -> None:
        self.planner = planner
        self.latency_s = latency_s
        self.deterministic = deterministic
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ilrs-plan")

    def submit(self, request: PlanRequest, now_s: float) -> PlanJob:
        token = CancelToken()
        request = PlanRequest(
            request.costmap, request.start, request.goal, request.timeout_s, token
        )
        future = self._executor.submit(self.planner.plan, request)
        return PlanJob(future, token, now_s + self.latency_s, self.deterministic)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
