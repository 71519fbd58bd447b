"""Every output of BuildingModel.sample for the forecast cases (tests/forecast_cases.py:
both seasons and seeds, the window with the horizon and the year before) and every
scenario in sensors_sim/scenarios (whole, and split into day-long calls as the publisher
asks), saved to an .npz, or compared with one saved earlier (the largest absolute
difference over all arrays is printed). Used to show that a faster building model gives
the same results.

    .venv/bin/python benchmarks/building_outputs.py save before.npz
    .venv/bin/python benchmarks/building_outputs.py compare before.npz
    .venv/bin/python benchmarks/building_outputs.py compare-together before.npz

``compare-together`` runs the forecast cases' eight buildings in one run (sample_together).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from analysis.forecast import HORIZON_DAYS, LAST_YEAR_DAYS  # noqa: E402
from museum.description.config import parse_config  # noqa: E402
from sensors_sim import scenario as scenarios  # noqa: E402
from sensors_sim.building import BuildingModel, ClimateSample, sample_together  # noqa: E402
from tests import forecast_cases as fc  # noqa: E402

FIELDS = (
    "case_temperature_c",
    "case_rh_pct",
    "room_temperature_c",
    "room_rh_pct",
    "outdoor_temperature_c",
    "outdoor_rh_pct",
)


def _put(out: dict[str, np.ndarray], label: str, climate: ClimateSample) -> None:
    for name in FIELDS:
        out[f"{label}/{name}"] = np.asarray(getattr(climate, name))


def _join(parts: list[ClimateSample]) -> ClimateSample:
    return ClimateSample(*(np.concatenate([getattr(p, f) for p in parts]) for f in ("epoch_s", *FIELDS)))


def forecast_outputs(out: dict[str, np.ndarray], together: bool = False) -> None:
    """The forecast cases' buildings, one by one or all in one run (sample_together)."""
    span = np.arange(0.0, (fc.WINDOW_DAYS + HORIZON_DAYS) * 86_400.0, fc.SAMPLE_S)
    models, times, labels = [], [], []
    for season, start_s in fc.SEASONS.items():
        rooms = [fc.CaseSpec(f"{g.gallery}-air", g.gallery, **fc.ROOM_AIR) for g in fc.GALLERIES]  # type: ignore[arg-type]
        cases = [f.case for f in fc.families(season)]
        then_s = start_s - LAST_YEAR_DAYS * 86_400.0
        for seed in fc.SEEDS:
            events = fc.reconditionings(season)
            models.append(
                BuildingModel(
                    fc.GALLERIES, [*rooms, *cases], start_s=start_s, zone=fc.ZONE, seed=seed, events=events
                )
            )
            models.append(BuildingModel(fc.GALLERIES, rooms, start_s=then_s, zone=fc.ZONE, seed=seed))
            times += [start_s + span, then_s + span]
            labels += [f"forecast-{season}-{seed}-now", f"forecast-{season}-{seed}-then"]
    if together:
        samples = sample_together(models, times)
    else:
        samples = [model.sample(t) for model, t in zip(models, times, strict=True)]
    for label, climate in zip(labels, samples, strict=True):
        _put(out, label, climate)


def scenario_outputs(out: dict[str, np.ndarray]) -> None:
    base = parse_config(
        {
            "museum": {"name": "Test", "timezone": "Asia/Ho_Chi_Minh", "language": "en"},
            "mqtt": {"url": "mqtt://127.0.0.1:1"},
            "influxdb": {"url": "http://127.0.0.1:1"},
            "sites": [{"id": "hanoi", "name": "Hà Nội"}],
            "cases": [],
        },
        origin="building_outputs",
        environ={},
    )
    for path in sorted((REPO / "sensors_sim" / "scenarios").glob("*.toml")):
        scenario = scenarios.load(path.stem)
        if scenario.start_s is None or scenario.duration_s is None:
            continue
        config = scenario.museum_config(base)

        def model(scenario: scenarios.Scenario = scenario, config: object = config) -> BuildingModel:
            return BuildingModel(
                scenario.room_specs(config),  # type: ignore[arg-type]
                scenario.case_specs(config),  # type: ignore[arg-type]
                start_s=scenario.start_s or 0.0,
                zone=config.zone,  # type: ignore[attr-defined]
                seed=scenario.seed,
                outdoor=scenario.outdoor,
                events=scenario.events,
            )

        stamps = scenario.start_s + np.arange(0.0, scenario.duration_s, scenario.interval_s)
        _put(out, f"scenario-{path.stem}", model().sample(stamps))
        split = model()
        per_call = int(86_400.0 / scenario.interval_s) + 7  # not a multiple of the step
        parts = [split.sample(stamps[i : i + per_call]) for i in range(0, len(stamps), per_call)]
        _put(out, f"scenario-{path.stem}-split", _join(parts))


def main() -> None:
    action, path = sys.argv[1], Path(sys.argv[2])
    out: dict[str, np.ndarray] = {}
    began = time.perf_counter()
    scenario_outputs(out)
    forecast_outputs(out, together=action == "compare-together")
    values = sum(a.size for a in out.values())
    print(f"{len(out)} arrays, {values:,} values in {time.perf_counter() - began:.1f} s")
    if action == "save":
        np.savez_compressed(path, **out)
        return
    saved = np.load(path)
    if sorted(saved.files) != sorted(out):
        raise SystemExit(f"different arrays: {sorted(set(saved.files) ^ set(out))}")
    worst, where, identical = 0.0, "", True
    for name, values in out.items():
        old = saved[name]
        if old.shape != values.shape:
            raise SystemExit(f"{name}: shape {old.shape} != {values.shape}")
        identical &= bool(np.array_equal(old, values, equal_nan=True))
        diff = float(np.nanmax(np.abs(old - values))) if values.size else 0.0
        if diff > worst:
            worst, where = diff, name
    print(f"bit-identical: {identical}; max abs difference {worst:.3e} ({where or 'none'})")


if __name__ == "__main__":
    main()
