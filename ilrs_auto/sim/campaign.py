"""Campaigns: one scenario flown many times, varying the seed and chosen parameters, in parallel.

Run ``i`` of a campaign flies the scenario with ``seed = base_seed + i`` (so the world's rocks,
the camera noise and every other random choice change from run to run). Each varied parameter
(``section.key=LO:HI`` on the command line, e.g. ``rocks.cumulative_fractional_area=0.02:0.08``)
is drawn uniformly from ``[LO, HI]`` by ``numpy.random.default_rng([base_seed, i])``, in the
order the parameters were given, so a run's inputs depend only on the campaign and its index,
never on which worker ran it or when. Nested sections and the scenario's faults vary the same
way: ``power.battery.capacity_wh=300:600``, ``faults.0.time_s=100:900`` (fault 0's onset).

Each run comes back as a small :class:`RunRow` (no maps, no paths), whatever executor ran it:
``local`` (worker processes on this machine, no set-up) or ``dask`` (a Dask distributed
scheduler at a given address). A run that raises is a row carrying its error, not the end of
the campaign.

A run's energy is what its loads drew in the power model of :mod:`ilrs_auto.sim.power`
(avionics, camera, planning, drive and heaters over the mission), beside the battery's final
state of charge and the faults met: each injected fault that struck and the mission events it
caused.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from ilrs_auto import __version__
from ilrs_auto.errors import InputError
from ilrs_auto.output import check_output_folder, write_folder
from ilrs_auto.sim.scenario import FaultConfig, Scenario

CAMPAIGN_NAME = "campaign.json"
CSV_NAME = "runs.csv"
PLOT_NAME = "summary.png"


@dataclass(frozen=True)
class VariedParameter:
    """A scenario number drawn uniformly from ``[low, high]`` for every run."""

    section: str
    key: str
    low: float
    high: float

    @property
    def name(self) -> str:
        return f"{self.section}.{self.key}"


def parse_varied(text: str) -> VariedParameter:
    """``section.key=LO:HI`` -> a :class:`VariedParameter`, checked against the scenario's own
    ranges for that key (``section.sub.key`` in nested sections, ``faults.N.key`` for fault N).
    Raises :class:`InputError` naming the text and the problem."""
    name, sep, span = text.partition("=")
    low_text, colon, high_text = span.partition(":")
    section, dot, key = name.strip().partition(".")
    if not (sep and colon and dot):
        raise InputError(f"--vary {text!r}: expected SECTION.KEY=LO:HI")
    sections = {f.name: f for f in dataclasses.fields(Scenario)}
    if section == "faults":
        index, dot, fault_key = key.partition(".")
        if not (index.isdigit() and dot):
            raise InputError(f"--vary {text!r}: expected faults.N.KEY=LO:HI")
        config_type: type | None = FaultConfig
        path, key = [index], fault_key
    else:
        config_type = _config_type(section)
        path, key = key.split(".")[:-1], key.split(".")[-1]
    if section not in sections or config_type is None:
        raise InputError(f"--vary {text!r}: no scenario section {section!r}")
    for part in path if section != "faults" else []:
        config_type = _nested_type(config_type, part)
        if config_type is None:
            raise InputError(f"--vary {text!r}: {section} has no section {part!r}")
    fields = {f.name: f for f in dataclasses.fields(config_type)}
    if key not in fields:
        raise InputError(f"--vary {text!r}: {section} has no key {key!r}")
    key = ".".join([*path, key])
    spec = fields[key.split(".")[-1]]
    if spec.type not in ("float", float):
        raise InputError(f"--vary {text!r}: {section}.{key} is not a real number")
    try:
        low, high = float(low_text), float(high_text)
    except ValueError:
        raise InputError(f"--vary {text!r}: LO and HI must be numbers") from None
    if not (math.isfinite(low) and math.isfinite(high) and low <= high):
        raise InputError(f"--vary {text!r}: need finite LO <= HI")
    lo, hi, lo_open = spec.metadata["lo"], spec.metadata["hi"], spec.metadata["lo_open"]
    if (lo is not None and (low < lo or (lo_open and low == lo))) or (hi is not None and high > hi):
        bracket = "(" if lo_open else "["
        raise InputError(f"--vary {text!r}: {section}.{key} must lie in {bracket}{lo}, {hi}]")
    return VariedParameter(section, key, low, high)


def _config_type(section: str) -> type | None:
    default = getattr(Scenario(), section, None)
    if default is None or not dataclasses.is_dataclass(default):
        return None
    return type(default)


def _nested_type(config_type: type, name: str) -> type | None:
    default = getattr(config_type(), name, None)
    if default is None or not dataclasses.is_dataclass(default):
        return None
    return type(default)


def _replaced(obj: Any, path: list[str], value: float) -> Any:
    """``obj`` with the value at ``path`` (field names, or indices into a tuple) replaced."""
    head, rest = path[0], path[1:]
    if isinstance(obj, tuple):
        i = int(head)
        item = value if not rest else _replaced(obj[i], rest, value)
        return (*obj[:i], item, *obj[i + 1 :])
    inner = value if not rest else _replaced(getattr(obj, head), rest, value)
    return dataclasses.replace(obj, **{head: inner})


@dataclass(frozen=True)
class RunSpec:
    """Everything a worker needs for one run (the scenario already varied)."""

    index: int
    seed: int
    params: dict[str, float]
    scenario: Scenario


@dataclass(frozen=True)
class RunRow:
    """One run's result: the table row."""

    index: int
    seed: int
    params: dict[str, float]
    final_state: str  # "arrived", "safe", "fault", or "error" when the run raised
    arrived: bool
    distance_m: float
    mission_time_s: float
    replans: int
    fault: str  # the fault event met, "" if none
    energy_wh: float  # drawn by the loads
    error: str = ""  # "ExceptionType: message" when the run raised
    final_soc: float = math.nan
    # each injected fault that struck: {"type", "time_s", "duration_s", "events": [...]}
    faults_met: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Campaign:
    scenario: Scenario
    runs: int
    base_seed: int
    varied: tuple[VariedParameter, ...] = ()

    def __post_init__(self) -> None:
        count = len(self.scenario.faults)
        for p in self.varied:
            if p.section == "faults" and int(p.key.split(".")[0]) >= count:
                raise InputError(
                    f"--vary {p.name}: the scenario {self.scenario.source} has {count} "
                    f"fault{'' if count == 1 else 's'} (numbered from 0)"
                )

    def specs(self) -> list[RunSpec]:
        """The runs, in index order; the same campaign gives the same specs."""
        specs = []
        for i in range(self.runs):
            rng = np.random.default_rng([self.base_seed, i])
            scenario = dataclasses.replace(self.scenario, seed=self.base_seed + i)
            params: dict[str, float] = {}
            for p in self.varied:
                value = round(float(rng.uniform(p.low, p.high)), 6)
                params[p.name] = value
                scenario = _replaced(scenario, [p.section, *p.key.split(".")], value)
            specs.append(RunSpec(i, self.base_seed + i, params, scenario))
        return specs


def run_one(spec: RunSpec) -> RunRow:
    """Flies one run; a run that raises becomes a row with its error."""
    try:
        return _fly(spec)
    except Exception as error:
        return _error_row(spec, error)


def _fly(spec: RunSpec) -> RunRow:
    from ilrs_auto.sim.runner import run_mission  # imported in the worker

    record = run_mission(spec.scenario)
    return RunRow(
        index=spec.index,
        seed=spec.seed,
        params=spec.params,
        final_state=record.final_state,
        arrived=record.arrived,
        distance_m=round(record.distance_m, 3),
        mission_time_s=round(record.mission_time_s, 3),
        replans=len(record.replan_causes),
        fault="" if record.fault is None else record.fault.event,
        energy_wh=round(record.energy_used_wh, 3),
        final_soc=round(record.final_soc, 4),
        faults_met=tuple(_rounded(f.to_json()) for f in record.faults_met),
    )


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def faults_met_text(row: RunRow) -> str:
    """``type@time_s: event@time_s event@time_s; ...`` for the CSV and the console."""
    parts = []
    for f in row.faults_met:
        caused = " ".join(f"{e['event']}@{e['time_s']:g}" for e in f["events"]) or "-"
        parts.append(f"{f['type']}@{f['time_s']:g}: {caused}")
    return "; ".join(parts)


def _error_row(spec: RunSpec, error: BaseException) -> RunRow:
    message = " ".join(str(error).split())
    return RunRow(
        index=spec.index,
        seed=spec.seed,
        params=spec.params,
        final_state="error",
        arrived=False,
        distance_m=math.nan,
        mission_time_s=math.nan,
        replans=0,
        fault="",
        energy_wh=math.nan,
        error=f"{type(error).__name__}: {message}",
    )


class Executor(Protocol):
    """Runs specs somewhere and yields their rows as they finish (any order)."""

    @property
    def description(self) -> str: ...

    def run(self, specs: Sequence[RunSpec]) -> Iterator[RunRow]: ...


@dataclass
class LocalExecutor:
    """Worker processes on this machine (``spawn``ed, so safe beside threads)."""

    workers: int = field(default_factory=lambda: os.cpu_count() or 1)

    @property
    def description(self) -> str:
        return f"local, {self.workers} worker processes"

    def run(self, specs: Sequence[RunSpec]) -> Iterator[RunRow]:
        context = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=context)
        try:
            futures = {pool.submit(run_one, spec): spec for spec in specs}
            for future in as_completed(futures):
                try:
                    yield future.result()
                except Exception as error:  # a worker died, or the row would not pickle
                    yield _error_row(futures[future], error)
        finally:  # on an interrupt, runs not yet started are dropped, not waited for
            pool.shutdown(wait=True, cancel_futures=True)


@dataclass
class DaskExecutor:
    """A Dask distributed scheduler at ``address`` (e.g. ``tcp://127.0.0.1:8786``)."""

    address: str
    connect_timeout_s: float = 10.0

    @property
    def description(self) -> str:
        return f"dask scheduler {self.address}"

    def run(self, specs: Sequence[RunSpec]) -> Iterator[RunRow]:
        try:
            from distributed import Client
            from distributed import as_completed as dask_completed
        except ImportError:
            raise InputError("--scheduler: needs the 'distributed' package") from None
        try:
            client = Client(self.address, timeout=f"{self.connect_timeout_s}s")  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as error:
            message = " ".join(str(error).split())
            raise InputError(f"--scheduler {self.address}: cannot connect: {message}") from None
        try:
            futures = client.map(run_one, list(specs), pure=False)
            by_key = {f.key: spec for f, spec in zip(futures, specs, strict=True)}
            for future in dask_completed(futures):  # type: ignore[no-untyped-call]
                try:
                    yield future.result()
                except Exception as error:
                    yield _error_row(by_key[future.key], error)
        finally:
            client.close()  # type: ignore[no-untyped-call]


EXECUTORS: dict[str, Callable[..., Executor]] = {"local": LocalExecutor, "dask": DaskExecutor}


@dataclass(frozen=True)
class CampaignResult:
    campaign: Campaign
    rows: list[RunRow]  # in run order
    executor: str
    wall_s: float

    @property
    def runs_per_minute(self) -> float:
        return 60.0 * len(self.rows) / self.wall_s if self.wall_s > 0 else math.inf


def run_campaign(
    campaign: Campaign,
    executor: Executor,
    on_row: Callable[[RunRow], None] | None = None,
    specs: Sequence[RunSpec] | None = None,
) -> CampaignResult:
    """Runs every spec (by default the campaign's own) and gathers the rows in run order."""
    specs = campaign.specs() if specs is None else specs
    start = time.perf_counter()
    rows = []
    for row in executor.run(specs):
        rows.append(row)
        if on_row is not None:
            on_row(row)
    wall_s = time.perf_counter() - start
    rows.sort(key=lambda r: r.index)
    return CampaignResult(campaign, rows, executor.description, wall_s)


def summary(result: CampaignResult) -> dict[str, Any]:
    """Counts and statistics over the rows (errors count as failures)."""
    rows = result.rows
    done = [r for r in rows if r.final_state != "error"]
    states: dict[str, int] = {}
    for r in rows:
        states[r.final_state] = states.get(r.final_state, 0) + 1

    def stats(values: list[float]) -> dict[str, float] | None:
        if not values:
            return None
        a = np.asarray(values)
        return {
            "mean": round(float(a.mean()), 3),
            "min": round(float(a.min()), 3),
            "max": round(float(a.max()), 3),
        }

    return {
        "runs": len(rows),
        "arrived": sum(r.arrived for r in rows),
        "success_rate": round(sum(r.arrived for r in rows) / len(rows), 4) if rows else None,
        "final_states": dict(sorted(states.items())),
        "errors": len(rows) - len(done),
        "distance_m": stats([r.distance_m for r in done]),
        "mission_time_s": stats([r.mission_time_s for r in done]),
        "energy_wh": stats([r.energy_wh for r in done]),
        "final_soc": stats([r.final_soc for r in done]),
        "replans": stats([float(r.replans) for r in done]),
        "faults_met": _fault_counts(done),
    }


def _fault_counts(rows: list[RunRow]) -> dict[str, dict[str, int]]:
    """Per fault type: how many struck, and how many times each event followed."""
    counts: dict[str, dict[str, int]] = {}
    for r in rows:
        for f in r.faults_met:
            kind = counts.setdefault(f["type"], {"struck": 0})
            kind["struck"] += 1
            for e in f["events"]:
                kind[e["event"]] = kind.get(e["event"], 0) + 1
    return dict(sorted(counts.items()))


def row_dict(row: RunRow) -> dict[str, Any]:
    """A row for JSON: NaN (a run that raised) becomes null."""
    out = dataclasses.asdict(row)
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in out.items()}


def to_json(result: CampaignResult) -> dict[str, Any]:
    c = result.campaign
    return {
        "ilrs_auto_version": __version__,
        "scenario": c.scenario.name,
        "scenario_file": c.scenario.source,
        "runs": c.runs,
        "base_seed": c.base_seed,
        "seed_rule": "seed = base_seed + run index",
        "varied": [dataclasses.asdict(p) for p in c.varied],
        "executor": result.executor,
        "wall_s": round(result.wall_s, 3),
        "runs_per_minute": round(result.runs_per_minute, 3),
        "summary": summary(result),
        "rows": [row_dict(r) for r in result.rows],
    }


def to_csv(result: CampaignResult) -> str:
    names = [p.name for p in result.campaign.varied]
    header = ["index", "seed", *names, "final_state", "arrived", "distance_m"]
    header += ["mission_time_s", "replans", "fault", "energy_wh", "final_soc", "faults_met"]
    header += ["error"]
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(header)
    for r in result.rows:
        varied = [r.params.get(n, "") for n in names]
        measured = [_cell(r.distance_m), _cell(r.mission_time_s), r.replans, r.fault]
        writer.writerow(
            [
                r.index,
                r.seed,
                *varied,
                r.final_state,
                r.arrived,
                *measured,
                _cell(r.energy_wh),
                _cell(r.final_soc),
                faults_met_text(r),
                r.error,
            ]
        )
    return text.getvalue()


def _cell(value: float) -> str:
    return "" if math.isnan(value) else repr(value)


def check_campaign_target(out_dir: str | os.PathLike[str]) -> Path:
    """The output folder, checked before any run: absent or an earlier campaign's, in a parent
    we can write in. Raises :class:`InputError` naming the path."""
    return check_output_folder(
        out_dir,
        CAMPAIGN_NAME,
        "--out {target}: exists and is not a campaign folder; choose another",
        "--out {target}: cannot write in {parent}: {reason}",
    )


def write_campaign(result: CampaignResult, out_dir: str | os.PathLike[str]) -> Path:
    """Writes ``campaign.json``, ``runs.csv`` and ``summary.png`` into ``out_dir``, all or
    nothing."""

    def fill(folder: Path) -> None:
        document = json.dumps(to_json(result), indent=2) + "\n"
        (folder / CAMPAIGN_NAME).write_text(document, encoding="utf-8")
        (folder / CSV_NAME).write_text(to_csv(result), encoding="utf-8")
        draw_summary(result, folder / PLOT_NAME)

    return write_folder(check_campaign_target(out_dir), fill)


def draw_summary(result: CampaignResult, path: Path) -> None:
    """Outcomes (with the success rate); histograms of distance, mission time, energy used and
    final state of charge; the faults that struck and the events they caused."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stats = summary(result)
    done = [r for r in result.rows if r.final_state != "error"]
    fig, axes = plt.subplots(2, 3, figsize=(14, 7.5), layout="constrained")
    outcome, dist, dur, energy, soc, faults = axes.ravel()
    states = stats["final_states"]
    colours = {"arrived": "#26a69a", "safe": "#8e24aa", "fault": "#e53935", "error": "#616161"}
    outcome.bar(
        list(states), list(states.values()), color=[colours.get(s, "#42a5f5") for s in states]
    )
    rate = stats["success_rate"]
    outcome.set_title(f"outcomes: {0 if rate is None else 100 * rate:.0f}% arrived")
    outcome.set_ylabel("runs")
    for ax, values, label in (
        (dist, [r.distance_m for r in done], "distance driven (m)"),
        (dur, [r.mission_time_s / 60 for r in done], "mission time (min)"),
        (energy, [r.energy_wh for r in done], "energy used by the loads (Wh)"),
        (soc, [100 * r.final_soc for r in done], "final state of charge (%)"),
    ):
        values = [v for v in values if math.isfinite(v)]
        if values:
            ax.hist(values, bins=min(20, max(5, len(values) // 5)), color="#42a5f5", ec="white")
        ax.set_xlabel(label)
        ax.set_ylabel("runs")
    counts = stats["faults_met"]
    labels, heights = [], []
    for kind, numbers in counts.items():
        for event, n in numbers.items():
            labels.append(f"{kind}: {event}")
            heights.append(n)
    if labels:
        faults.barh(labels[::-1], heights[::-1], color="#ef6c00")
        faults.set_xlabel("count over the runs")
    else:
        faults.text(0.5, 0.5, "no faults injected", ha="center", va="center")
        faults.set_axis_off()
    faults.set_title("faults met (struck) and the events they caused")
    c = result.campaign
    fig.suptitle(
        f"{c.scenario.name}: {len(result.rows)} runs, seeds {c.base_seed}.."
        f"{c.base_seed + c.runs - 1} ({result.executor}, {result.wall_s:.0f} s)"
    )
    fig.savefig(path, dpi=100)
    plt.close(fig)
