"""A museum building in a humid climate: galleries (rooms) and the display cases in them.

Each gallery is one well-mixed volume of air exchanging with the outdoors
(:mod:`sensors_sim.outdoor`); each case is a smaller volume exchanging with its gallery and,
if it holds silica gel, with the gel. Heat and moisture are balanced separately:

Gallery temperature, first order towards the outdoors through the envelope, warmed by
visitors, pulled to the set point while the air-conditioner runs::

    dT/dt = (T_out − T)/τ_env + n_visitors·P_sensible/C + on_ac·(T_set − T)/τ_ac

Gallery moisture (absolute humidity ρ, g/m³), conserved::

    B·dρ/dt = n_air·(ρ_out − ρ) + n_visitors·m_latent/V − on_dh·q_dh/V − on_ac·k_coil·(ρ − ρ_coil)⁺

where B ≥ 1 is the moisture the room's hygroscopic surfaces store per unit the air holds.

Case temperature follows the gallery (plus the heat of case lighting) with a time constant
τ_case; case moisture::

    dρ_c/dt = N·(ρ_room − ρ_c) + (RH_gel·ρ_sat(T_c) − ρ_c)/τ_gel

and the gel loses what the air gains: ΔRH_gel = −ΔW / (M·m_gel), with M the gel's
specific moisture reservoir (g per kg per % RH, Thomson's M). Because the gel holds RH
rather than absolute humidity, a buffered case keeps its RH while its temperature moves;
an unbuffered case keeps its absolute humidity, so its RH rises as it cools (docs/science.md §1).
Air at saturation is capped there (the excess condenses).

Every linear step is integrated exactly over the step (exponential update), so the model is
stable for any step; the step is 5 minutes, and readings between steps are interpolated.

Sources of the default parameters:

- visitors' heat and moisture: ASHRAE (2017) *Fundamentals* ch. 18, Table 1, "standing,
  light work; walking": about 75 W sensible and 70 W latent, i.e. ~100 g of water per hour;
- air's volumetric heat capacity 1.2 kJ/(m³·K) (ASHRAE 2017 ch. 1, dry air at 20 °C);
- silica gel: regular-density gel takes up about 5 g of water per kg per % RH between 20
  and 60 % RH (Thomson 1977, *Stabilization of RH in exhibition cases: hygrometric
  half-time*, Stud. Conserv. 22, calls this the specific moisture reservoir M; the figure
  is an engineering reading of published isotherms, configurable);
- case air exchange: well-sealed museum cases reach 0.1–1 air change a day, ordinary ones
  several (Thomson 1977; Michalski 1994, *Leakage prediction for buildings, cases, bags
  and bottles*, Stud. Conserv. 39); the defaults are in that range.

Everything else (envelope and cooling time constants, thermal mass factor, coil dew point)
is an engineering choice, named as such, and set per gallery or case in a scenario.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from analysis.psychrometrics import saturation_density_g_per_m3
from sensors_sim.outdoor import HANOI, OutdoorClimate, outdoor_conditions

STEP_S = 300.0
#: Steps whose input-only terms are computed at once (:meth:`_Physics.run`).
BLOCK_STEPS = 2016
#: Sensible heat and moisture of one visitor (ASHRAE 2017 Fundamentals ch. 18, Table 1).
VISITOR_SENSIBLE_W = 75.0
VISITOR_MOISTURE_G_PER_H = 100.0
#: Volumetric heat capacity of air, J/(m³·K).
AIR_HEAT_CAPACITY_J_PER_M3_K = 1200.0
#: How long the model runs before the first reading, so that rooms and cases start from
#: their own climate rather than from the outdoor air.
SPIN_UP_S = 4 * 86_400.0

#: ``gel_reconditioned``: a case's gel swapped, through its gel compartment, for gel
#: conditioned to the event's ``rh_pct`` or else the case's ``gel_conditioned_rh_pct`` (a
#: step down in the case's RH, issue 30);
#: a swap through the case door is a ``door_open`` event as well.
#: ``lights_left_on``: a case's lights on outside opening hours; the building does not feel
#: it, the light sensors in the case read it (sensors_sim/publisher.py, docs/light.md).
EVENT_KINDS = (
    "hvac_failure",
    "dehumidifier_full",
    "power_cut",
    "door_open",
    "gel_reconditioned",
    "lights_left_on",
)


@dataclass(frozen=True)
class RoomSpec:
    """A gallery. Hours are local, ``(start, end)`` with end after start (24 = midnight)."""

    gallery: str
    volume_m3: float = 600.0
    #: Air changes per hour with the outdoors: infiltration, and more while the museum is
    #: open and its doors let visitors in.
    air_changes_per_h: float = 0.5
    open_air_changes_per_h: float = 1.5
    #: Moisture stored by plaster, wood and textiles relative to the air's own, which damps
    #: the room's swings (engineering choice).
    moisture_buffer_factor: float = 5.0
    #: Envelope time constant, h (engineering choice: heavy masonry).
    envelope_time_constant_h: float = 12.0
    #: Heat stored by walls and contents relative to the air (engineering choice).
    thermal_mass_factor: float = 20.0
    hvac: bool = True
    hvac_setpoint_c: float = 24.0
    hvac_hours: tuple[float, float] = (0.0, 24.0)
    #: How fast running air-conditioning pulls the room to its set point, h.
    hvac_time_constant_h: float = 0.5
    #: Dew point of the cooling coil, °C, and how fast it dries the room, 1/h (engineering
    #: choices giving about 60 % RH at 24 °C in a humid summer).
    coil_dew_point_c: float = 12.0
    coil_drying_per_h: float = 2.0
    #: Portable dehumidifier extraction, litres a day (0: none) and its RH set point.
    dehumidifier_l_per_day: float = 0.0
    dehumidifier_setpoint_rh_pct: float = 55.0
    visitors_peak: float = 30.0
    open_hours: tuple[float, float] = (8.0, 17.0)
    #: Days the museum is closed, 0 = Monday.
    closed_weekdays: tuple[int, ...] = (0,)


@dataclass(frozen=True)
class CaseSpec:
    case_id: str
    gallery: str
    volume_m3: float = 1.0
    air_exchange_per_day: float = 1.0
    #: How fast the case air follows the gallery's temperature, h.
    thermal_time_constant_h: float = 1.0
    #: Warming by the case's lights while the museum is open, K.
    lights_heat_k: float = 0.5
    silica_gel_kg: float = 0.0
    gel_conditioned_rh_pct: float = 50.0
    gel_moisture_g_per_kg_per_pct: float = 5.0
    #: How fast the gel brings the case air to its own RH, h (engineering choice).
    gel_time_constant_h: float = 0.5
    #: Air changes per hour while the case door is open for maintenance.
    door_open_air_changes_per_h: float = 30.0


@dataclass(frozen=True)
class Event:
    """Something that happens to the building from ``start_s`` until ``end_s``. ``target``
    is a gallery, a case id, or ``*`` for all of them."""

    kind: str
    start_s: float
    end_s: float
    target: str = "*"
    #: ``gel_reconditioned``: the fresh gel's RH, %; None: the case's ``gel_conditioned_rh_pct``.
    rh_pct: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"unknown event {self.kind!r}; known: {', '.join(EVENT_KINDS)}")
        if self.end_s <= self.start_s:
            raise ValueError(f"event {self.kind} ends before it starts")


@dataclass
class ClimateSample:
    """Model output at requested times: one column per case (and per room)."""

    epoch_s: np.ndarray
    case_temperature_c: np.ndarray
    case_rh_pct: np.ndarray
    room_temperature_c: np.ndarray
    room_rh_pct: np.ndarray
    outdoor_temperature_c: np.ndarray
    outdoor_rh_pct: np.ndarray


def utc_offsets_h(zone: ZoneInfo, epoch_s: np.ndarray) -> np.ndarray:
    """The zone's UTC offset at each time, h (hourly resolution is enough for a climate)."""
    hours = np.floor(np.asarray(epoch_s) / 3600.0).astype(np.int64)
    unique, inverse = np.unique(hours, return_inverse=True)
    offsets = np.array([_offset_s(zone, h * 3600.0) for h in unique]) / 3600.0
    return offsets[inverse]


def _offset_s(zone: ZoneInfo, epoch_s: float) -> float:
    offset = datetime.fromtimestamp(epoch_s, zone).utcoffset()
    return offset.total_seconds() if offset else 0.0


def _in_hours(local_hour: np.ndarray, hours: tuple[float, float]) -> np.ndarray:
    start, end = hours
    return (local_hour >= start) & (local_hour < end)


@dataclass
class _State:
    room_t: np.ndarray
    room_rho: np.ndarray
    dehumidifying: np.ndarray
    case_t: np.ndarray
    case_rho: np.ndarray
    gel_rh: np.ndarray
    outdoor_t: np.ndarray = field(default_factory=lambda: np.zeros(1))
    outdoor_rho: np.ndarray = field(default_factory=lambda: np.zeros(1))


class _Physics:
    """The balances of :class:`BuildingModel` stepped over a block of steps.

    Everything that does not change from one step to the next is computed once: the
    per-gallery and per-case constants here, the terms that depend on the inputs only
    (outdoor air, visitors, doors) for the whole block in :meth:`run`. A linear update's
    decay over a step, exp(−rate·dt), takes one of a few values, its rate set by switches
    (cooling, drying, open doors), so it is looked up rather than recomputed. Every value is
    computed by the same floating-point operations, in the same order, as a step that
    computes it all afresh would: the results are the same to the last bit, at a fraction
    of numpy's per-call overhead on arrays of a few elements.
    """

    def __init__(
        self, room: dict[str, np.ndarray], case: dict[str, np.ndarray], case_room: np.ndarray, dt_h: float
    ) -> None:
        self.dt_h, self.case_room = dt_h, case_room
        self.room, self.case = room, case
        # Gallery temperature: its rate and decay with the cooling off and on.
        self.heat_capacity = room["volume_m3"] * AIR_HEAT_CAPACITY_J_PER_M3_K * room["thermal_mass_factor"]
        self.t_rate_off = 1.0 / room["envelope_time_constant_h"]
        self.t_rate_on = self.t_rate_off + 1.0 / room["hvac_time_constant_h"]
        self.t_decay_off = np.exp(-self.t_rate_off * dt_h)
        self.t_decay_on = np.exp(-self.t_rate_on * dt_h)
        self.cooling_k_per_h = room["hvac_setpoint_c"] / room["hvac_time_constant_h"]
        self.setpoint_c = room["hvac_setpoint_c"]
        # Gallery moisture: thresholds, what the dehumidifier and the coil take, and the decay
        # for each state of the doors (open hours) and of the coil.
        self.coil_rho = saturation_density_g_per_m3(room["coil_dew_point_c"])
        self.drying_above_c = room["hvac_setpoint_c"] - 1.0
        self.has_dehumidifier = room["dehumidifier_l_per_day"] > 0
        self.dh_on_rh_pct = room["dehumidifier_setpoint_rh_pct"] + 2.0
        self.dh_off_rh_pct = room["dehumidifier_setpoint_rh_pct"] - 2.0
        self.dh_g_per_m3_h = room["dehumidifier_l_per_day"] * 1000.0 / 24.0 / room["volume_m3"]
        self.coil_g_per_m3_h = room["coil_drying_per_h"] * self.coil_rho
        self.rho_decay = {
            (opened, drying): np.exp(
                -(
                    (exchange + room["coil_drying_per_h"] if drying else exchange)
                    / room["moisture_buffer_factor"]
                )
                * dt_h
            )
            for opened, exchange in (
                (False, room["air_changes_per_h"]),
                (True, room["open_air_changes_per_h"]),
            )
            for drying in (False, True)
        }
        # Cases.
        self.case_decay = np.exp(-dt_h / case["thermal_time_constant_h"])
        self.gel_per_h = (case["silica_gel_kg"] > 0) / case["gel_time_constant_h"]
        self.closed_exchange_per_h = case["air_exchange_per_day"] / 24.0
        self.case_rho_decay = {
            door: np.exp(-(exchange + self.gel_per_h) * dt_h)
            for door, exchange in (
                (False, self.closed_exchange_per_h),
                (True, case["door_open_air_changes_per_h"]),
            )
        }
        self.gel_capacity = np.maximum(case["silica_gel_kg"] * case["gel_moisture_g_per_kg_per_pct"], 1e-9)

    def _block(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The terms that depend on the inputs only, one row per step."""
        room, case = self.room, self.case
        opened, hvac, door = inputs["opened"], inputs["hvac"], inputs["door"]
        # One outdoor climate for the building, or one per gallery (buildings run together).
        out_t, out_rho = inputs["out_t"], inputs["out_rho"]
        if out_t.ndim == 1:
            out_t, out_rho = out_t[:, None], out_rho[:, None]
        visitors = inputs["visitors"]
        gains_k_per_h = visitors * VISITOR_SENSIBLE_W * 3600.0 / self.heat_capacity
        exchange = np.where(opened, room["open_air_changes_per_h"], room["air_changes_per_h"])
        case_exchange = np.where(door, case["door_open_air_changes_per_h"], self.closed_exchange_per_h)
        return {
            "hvac": hvac,
            "t_drive": out_t / room["envelope_time_constant_h"] + gains_k_per_h,
            "dehumidifier_ok": inputs["dehumidifier_ok"] & self.has_dehumidifier,
            "exchange": exchange,
            "exchange_drying": exchange + room["coil_drying_per_h"],
            "rho_sources": exchange * out_rho + visitors * VISITOR_MOISTURE_G_PER_H / room["volume_m3"],
            "rho_decay": np.where(opened, self.rho_decay[True, False], self.rho_decay[False, False]),
            "rho_decay_drying": np.where(opened, self.rho_decay[True, True], self.rho_decay[False, True]),
            "lights_k": inputs["lights"] * case["lights_heat_k"],
            "case_exchange": case_exchange,
            "case_rate": case_exchange + self.gel_per_h,
            "case_rho_decay": np.where(door, self.case_rho_decay[True], self.case_rho_decay[False]),
        }

    def run(self, s: _State, inputs: dict[str, np.ndarray], steps: int) -> dict[str, np.ndarray]:
        """Step ``s`` ``steps`` times with ``inputs`` (:meth:`BuildingModel._inputs`); the
        state before each step and after the last, one row each."""
        names = ("room_t", "room_rho", "dehumidifying", "case_t", "case_rho", "gel_rh")
        history = {
            name: np.empty((steps + 1, len(getattr(s, name))), getattr(s, name).dtype) for name in names
        }
        for name in names:
            history[name][0] = getattr(s, name)
        if not steps:
            return history
        reconditioned = inputs["reconditioned"]
        swapping = np.isfinite(reconditioned)
        swaps = swapping.any(axis=1).tolist()
        room_t, room_rho, dehumidifying = s.room_t, s.room_rho, s.dehumidifying
        case_t, case_rho, gel_rh = s.case_t, s.case_rho, s.gel_rh
        minimum, maximum, where, concatenate = np.minimum, np.maximum, np.where, np.concatenate
        saturation_of, rooms = saturation_density_g_per_m3, len(room_t)
        setpoint, rate_on, rate_off = self.setpoint_c, self.t_rate_on, self.t_rate_off
        decay_on, decay_off, cooling_on = self.t_decay_on, self.t_decay_off, self.cooling_k_per_h
        dh_on, dh_off, dh_rate, coil_rho = (
            self.dh_on_rh_pct,
            self.dh_off_rh_pct,
            self.dh_g_per_m3_h,
            self.coil_rho,
        )
        drying_above, coil_rate, case_room, case_decay = (
            self.drying_above_c,
            self.coil_g_per_m3_h,
            self.case_room,
            self.case_decay,
        )
        gel, case_volume_m3, capacity, dt_h = (
            self.gel_per_h,
            self.case["volume_m3"],
            self.gel_capacity,
            self.dt_h,
        )
        h_room_t, h_room_rho, h_dh = history["room_t"], history["room_rho"], history["dehumidifying"]
        h_case_t, h_case_rho, h_gel_rh = history["case_t"], history["case_rho"], history["gel_rh"]
        # The input-only terms a block of steps at a time: a year of them for many buildings
        # at once would take hundreds of megabytes.
        for first in range(0, steps, BLOCK_STEPS):
            b = self._block({name: values[first : first + BLOCK_STEPS] for name, values in inputs.items()})
            for row, k in enumerate(range(first, min(first + BLOCK_STEPS, steps))):
                hvac = b["hvac"][row]
                # Gallery temperature.
                cooling = hvac & (room_t > setpoint)
                target = (b["t_drive"][row] + where(cooling, cooling_on, 0.0)) / where(
                    cooling, rate_on, rate_off
                )
                room_t = target + (room_t - target) * where(cooling, decay_on, decay_off)
                # Case temperature (it follows the gallery's, whatever the moisture does).
                target_t = room_t[case_room] + b["lights_k"][row]
                case_t = target_t + (case_t - target_t) * case_decay
                # Saturation of the galleries and the cases in one call (numpy's exp and log give
                # each element the same value whatever array it is in).
                both_saturation = saturation_of(concatenate((room_t, case_t)))
                room_saturation, saturation = both_saturation[:rooms], both_saturation[rooms:]
                # Gallery moisture.
                room_rh = 100.0 * room_rho / room_saturation
                dehumidifying = b["dehumidifier_ok"][row] & (
                    (room_rh > dh_on) | (dehumidifying & (room_rh > dh_off))
                )
                drying = hvac & (room_t > drying_above) & (room_rho > coil_rho)
                sources = (
                    b["rho_sources"][row] - where(dehumidifying, dh_rate, 0.0) + where(drying, coil_rate, 0.0)
                )
                target = sources / where(drying, b["exchange_drying"][row], b["exchange"][row])
                decay = where(drying, b["rho_decay_drying"][row], b["rho_decay"][row])
                room_rho = minimum(maximum(target + (room_rho - target) * decay, 0.5), room_saturation)
                # Case moisture, and the gel that buffers it.
                gel_rho = gel_rh / 100.0 * saturation
                target = (b["case_exchange"][row] * room_rho[case_room] + gel * gel_rho) / b["case_rate"][row]
                new_rho = target + (case_rho - target) * b["case_rho_decay"][row]
                from_gel_g = gel * (gel_rho - 0.5 * (case_rho + new_rho)) * case_volume_m3 * dt_h
                gel_rh = minimum(maximum(gel_rh - from_gel_g / capacity, 0.0), 100.0)
                if swaps[k]:  # fresh gel, conditioned to the case's set point, while it is being swapped
                    gel_rh = where(swapping[k], reconditioned[k], gel_rh)
                case_rho = minimum(new_rho, saturation)
                h_room_t[k + 1], h_room_rho[k + 1], h_dh[k + 1] = room_t, room_rho, dehumidifying
                h_case_t[k + 1], h_case_rho[k + 1], h_gel_rh[k + 1] = case_t, case_rho, gel_rh
        return history


class BuildingModel:
    """Steps the building forward in time and samples the cases' climate.

    Call :meth:`sample` with ascending times; the model steps on a fixed five-minute grid (STEP_S) from
    ``start_s − SPIN_UP_S`` and interpolates between grid points, so results do not depend
    on how the times are split into calls.
    """

    def __init__(
        self,
        rooms: Sequence[RoomSpec],
        cases: Sequence[CaseSpec],
        *,
        start_s: float,
        zone: ZoneInfo,
        seed: int = 0,
        outdoor: OutdoorClimate = HANOI,
        events: Sequence[Event] = (),
    ) -> None:
        self.rooms = list(rooms)
        self.cases = list(cases)
        self.zone = zone
        self.seed = seed
        self.outdoor = outdoor
        self.events = list(events)
        room_index = {room.gallery: i for i, room in enumerate(self.rooms)}
        missing = sorted({c.gallery for c in self.cases} - set(room_index))
        if missing:
            raise ValueError(f"cases in galleries with no room: {', '.join(missing)}")
        self._case_room = np.array([room_index[c.gallery] for c in self.cases], dtype=int)
        self._room = {
            name: np.array([getattr(r, name) for r in self.rooms], dtype=float)
            for name in (
                "volume_m3",
                "air_changes_per_h",
                "envelope_time_constant_h",
                "thermal_mass_factor",
                "hvac_setpoint_c",
                "hvac_time_constant_h",
                "coil_dew_point_c",
                "coil_drying_per_h",
                "dehumidifier_l_per_day",
                "dehumidifier_setpoint_rh_pct",
                "visitors_peak",
                "moisture_buffer_factor",
                "open_air_changes_per_h",
            )
        }
        self._case = {
            name: np.array([getattr(c, name) for c in self.cases], dtype=float)
            for name in (
                "volume_m3",
                "air_exchange_per_day",
                "thermal_time_constant_h",
                "lights_heat_k",
                "silica_gel_kg",
                "gel_conditioned_rh_pct",
                "gel_moisture_g_per_kg_per_pct",
                "gel_time_constant_h",
                "door_open_air_changes_per_h",
            )
        }
        self._physics = _Physics(self._room, self._case, self._case_room, STEP_S / 3600.0)
        self.time_s = float(start_s) - SPIN_UP_S
        out_t, out_rho = outdoor_conditions(
            outdoor, np.array([self.time_s]), utc_offsets_h(zone, np.array([self.time_s])), seed
        )
        room_t = np.full(len(self.rooms), out_t[0])
        room_rho = np.full(len(self.rooms), out_rho[0])
        case_t = room_t[self._case_room].copy()
        gel_rh = self._case["gel_conditioned_rh_pct"].copy()
        has_gel = self._case["silica_gel_kg"] > 0
        gel_rho = gel_rh / 100.0 * saturation_density_g_per_m3(case_t)
        case_rho = np.where(has_gel, gel_rho, room_rho[self._case_room])
        self._state = _State(
            room_t, room_rho, np.zeros(len(self.rooms), bool), case_t, case_rho, gel_rh, out_t, out_rho
        )

    # --- inputs over a block of steps -------------------------------------------------------
    def _event_mask(
        self, kind: str, times: np.ndarray, targets: list[str], galleries: list[str]
    ) -> np.ndarray:
        mask = np.zeros((len(times), len(targets)), dtype=bool)
        for event in self.events:
            if event.kind != kind:
                continue
            active = (times >= event.start_s) & (times < event.end_s)
            if not active.any():
                continue
            hit = np.array(
                [
                    event.target in ("*", target, gallery)
                    for target, gallery in zip(targets, galleries, strict=True)
                ]
            )
            mask |= active[:, None] & hit[None, :]
        return mask

    def _reconditioned_rh(self, times: np.ndarray, case_ids: list[str], galleries: list[str]) -> np.ndarray:
        """The fresh gel's RH while a ``gel_reconditioned`` event lasts, NaN otherwise."""
        fresh = np.full((len(times), len(case_ids)), np.nan)
        for event in (e for e in self.events if e.kind == "gel_reconditioned"):
            active = (times >= event.start_s) & (times < event.end_s)
            hit = np.array([event.target in ("*", c, g) for c, g in zip(case_ids, galleries, strict=True)])
            rh = (
                self._case["gel_conditioned_rh_pct"]
                if event.rh_pct is None
                else np.full(len(case_ids), event.rh_pct)
            )
            fresh = np.where(active[:, None] & hit[None, :], rh[None, :], fresh)
        return fresh

    def _inputs(self, times: np.ndarray) -> dict[str, np.ndarray]:
        offsets = utc_offsets_h(self.zone, times)
        local_s = times + offsets * 3600.0
        local_hour = (local_s % 86_400.0) / 3600.0
        weekday = (np.floor(local_s / 86_400.0).astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
        out_t, out_rho = outdoor_conditions(self.outdoor, times, offsets, self.seed)
        galleries = [r.gallery for r in self.rooms]
        power_cut = self._event_mask("power_cut", times, galleries, galleries)
        hvac = np.stack([_in_hours(local_hour, r.hvac_hours) & r.hvac for r in self.rooms], axis=1)
        hvac &= ~power_cut & ~self._event_mask("hvac_failure", times, galleries, galleries)
        dehumidifier_ok = ~power_cut & ~self._event_mask("dehumidifier_full", times, galleries, galleries)
        visitors = np.zeros((len(times), len(self.rooms)))
        opened = np.zeros((len(times), len(self.rooms)), dtype=bool)
        for i, room in enumerate(self.rooms):
            start, end = room.open_hours
            is_open = _in_hours(local_hour, room.open_hours) & ~np.isin(weekday, room.closed_weekdays)
            opened[:, i] = is_open
            shape = np.sin(math.pi * np.clip((local_hour - start) / (end - start), 0.0, 1.0))
            visitors[:, i] = np.where(is_open, room.visitors_peak * shape, 0.0)
        case_ids = [c.case_id for c in self.cases]
        case_galleries = [c.gallery for c in self.cases]
        lights = (visitors[:, self._case_room] > 0) & ~power_cut[:, self._case_room]
        door = self._event_mask("door_open", times, case_ids, case_galleries)
        reconditioned = self._reconditioned_rh(times, case_ids, case_galleries)
        return {
            "out_t": out_t,
            "out_rho": out_rho,
            "hvac": hvac,
            "dehumidifier_ok": dehumidifier_ok,
            "visitors": visitors,
            "lights": lights,
            "door": door,
            "reconditioned": reconditioned,
            "opened": opened,
        }

    # --- sampling --------------------------------------------------------------------------------
    def sample(self, epoch_s: np.ndarray) -> ClimateSample:
        """The climate at ascending times not before the last time sampled."""
        epoch_s = np.asarray(epoch_s, dtype=float)
        if len(epoch_s) == 0:
            empty = np.zeros((0, len(self.cases)))
            return ClimateSample(epoch_s, empty, empty, empty, empty, np.zeros(0), np.zeros(0))
        grid, inputs = self._prepare(epoch_s)
        return self._finish(epoch_s, grid, inputs, self._physics.run(self._state, inputs, len(grid) - 1))

    def _prepare(self, epoch_s: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The step grid up to the last of ``epoch_s`` and the inputs of its steps."""
        if epoch_s[0] < self.time_s - 1e-6 or np.any(np.diff(epoch_s) < 0):
            raise ValueError("sample times must ascend from the last time sampled")
        steps = max(0, math.ceil((epoch_s[-1] - self.time_s) / STEP_S - 1e-9))
        grid = self.time_s + STEP_S * np.arange(steps + 1)
        inputs = self._inputs(grid[1:]) if steps else {"out_t": np.zeros(0), "out_rho": np.zeros(0)}
        return grid, inputs

    def _finish(
        self,
        epoch_s: np.ndarray,
        grid: np.ndarray,
        inputs: dict[str, np.ndarray],
        history: dict[str, np.ndarray],
    ) -> ClimateSample:
        """The samples at ``epoch_s``, interpolated in the states ``history`` on ``grid``."""
        steps = len(grid) - 1
        s = self._state
        history["outdoor_t"] = np.concatenate([s.outdoor_t[None, :], inputs["out_t"][:steps, None]])
        history["outdoor_rho"] = np.concatenate([s.outdoor_rho[None, :], inputs["out_rho"][:steps, None]])
        # Keep the last grid point that is not after the last sample, so later calls can
        # interpolate from it.
        keep = int(np.searchsorted(grid, epoch_s[-1], side="right")) - 1
        self._state = _State(*(history[name][keep].copy() for name in _State.__dataclass_fields__))
        self.time_s = float(grid[keep])
        position = np.clip((epoch_s - grid[0]) / STEP_S, 0.0, steps)
        low = np.minimum(np.floor(position).astype(int), max(steps - 1, 0))
        weight = (position - low)[:, None]

        def series(name: str) -> np.ndarray:
            stacked = history[name]
            upper = stacked[np.minimum(low + 1, steps)]
            return stacked[low] * (1 - weight) + upper * weight

        case_t, room_t, out_t = series("case_t"), series("room_t"), series("outdoor_t")
        return ClimateSample(
            epoch_s=epoch_s,
            case_temperature_c=case_t,
            case_rh_pct=np.minimum(100.0 * series("case_rho") / saturation_density_g_per_m3(case_t), 100.0),
            room_temperature_c=room_t,
            room_rh_pct=np.minimum(100.0 * series("room_rho") / saturation_density_g_per_m3(room_t), 100.0),
            outdoor_temperature_c=out_t[:, 0],
            outdoor_rh_pct=np.minimum(
                100.0 * series("outdoor_rho")[:, 0] / saturation_density_g_per_m3(out_t[:, 0]), 100.0
            ),
        )


#: Inputs with a column per gallery, and per case (:meth:`BuildingModel._inputs`).
_ROOM_INPUTS = ("hvac", "dehumidifier_ok", "visitors", "opened")
_CASE_INPUTS = ("lights", "door", "reconditioned")


def sample_together(models: Sequence[BuildingModel], epoch_s: Sequence[np.ndarray]) -> list[ClimateSample]:
    """``[m.sample(t) for m, t in zip(models, epoch_s)]``, the same to the last bit, faster.

    Buildings that step as many times (spans of the same length) are stepped as one, their
    galleries and cases side by side, each gallery with its own building's outdoor air and
    hours: numpy's overhead per call, which is most of a step's cost on a few galleries, is
    paid once for all of them. Others are sampled one by one."""
    times = [np.asarray(t, dtype=float) for t in epoch_s]
    if len(models) < 2 or any(len(t) == 0 for t in times):
        return [m.sample(t) for m, t in zip(models, times, strict=True)]
    prepared = [m._prepare(t) for m, t in zip(models, times, strict=True)]
    steps = len(prepared[0][0]) - 1
    if not steps or any(len(grid) - 1 != steps for grid, _ in prepared):
        return [
            m._finish(t, g, i, m._physics.run(m._state, i, len(g) - 1))
            for m, t, (g, i) in zip(models, times, prepared, strict=True)
        ]
    rooms = [len(m.rooms) for m in models]
    cases = [len(m.cases) for m in models]
    room_at, case_at = np.cumsum([0, *rooms]), np.cumsum([0, *cases])
    physics = _Physics(
        {name: np.concatenate([m._room[name] for m in models]) for name in models[0]._room},
        {name: np.concatenate([m._case[name] for m in models]) for name in models[0]._case},
        np.concatenate([m._case_room + room_at[k] for k, m in enumerate(models)]),
        STEP_S / 3600.0,
    )
    inputs = {
        name: np.concatenate([i[name] for _, i in prepared], axis=1) for name in _ROOM_INPUTS + _CASE_INPUTS
    }
    for name in ("out_t", "out_rho"):
        inputs[name] = np.concatenate(
            [np.repeat(i[name][:, None], n, axis=1) for (_, i), n in zip(prepared, rooms, strict=True)],
            axis=1,
        )
    fields = {"room_t": 0, "room_rho": 0, "dehumidifying": 0, "case_t": 1, "case_rho": 1, "gel_rh": 1}
    joined = {name: np.concatenate([getattr(m._state, name) for m in models]) for name in fields}
    history = physics.run(_State(**joined), inputs, steps)
    samples = []
    for k, (model, t, (grid, own)) in enumerate(zip(models, times, prepared, strict=True)):
        # Each building's own columns: its galleries' (0) or its cases' (1).
        at = (slice(room_at[k], room_at[k + 1]), slice(case_at[k], case_at[k + 1]))
        own_history = {name: history[name][:, at[kind]] for name, kind in fields.items()}
        samples.append(model._finish(t, grid, own, own_history))
    return samples
