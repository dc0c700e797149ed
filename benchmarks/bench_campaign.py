"""Campaign throughput: runs per minute at 1 and 2 local worker processes on the same workload
(8 runs of a 30 m drive west of the crater, rock abundance varied), and their ratio.

    python benchmarks/bench_campaign.py [--runs 8]

Wall time includes starting the worker processes, as a real campaign would.
"""

from __future__ import annotations

import argparse
import os

from ilrs_auto.sim.campaign import Campaign, LocalExecutor, parse_varied, run_campaign
from ilrs_auto.sim.scenario import parse_scenario

SHORT = """
name: bench-campaign
seed: 21
rocks:
  cumulative_fractional_area: 0.06
  field_margin_m: 10
mission:
  start_xy_m: [520, 700]
  goal_xy_m: [550, 704]
  time_limit_s: 1200
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    args = parser.parse_args()
    campaign = Campaign(
        parse_scenario(SHORT, "bench.yaml"),
        args.runs,
        base_seed=21,
        varied=(parse_varied("rocks.cumulative_fractional_area=0.02:0.1"),),
    )
    print(f"{args.runs} runs of a 30 m drive; {os.cpu_count()} CPUs")
    rates = {}
    tables = []
    for workers in (1, 2):
        result = run_campaign(campaign, LocalExecutor(workers))
        rates[workers] = result.runs_per_minute
        tables.append(result.rows)
        arrived = sum(r.arrived for r in result.rows)
        print(
            f"{workers} worker(s): {result.wall_s:6.2f} s, {result.runs_per_minute:6.1f} runs/min "
            f"({arrived}/{len(result.rows)} arrived)"
        )
    same = "same" if tables[0] == tables[1] else "DIFFERENT"
    print(f"2 workers / 1 worker: {rates[2] / rates[1]:.2f}x throughput ({same} rows)")


if __name__ == "__main__":
    main()
