"""How much light an object may take: CIE 157's responsivity categories and their limits,
Michalski's just-noticeable-fade doses of the ISO blue wools, the UV limits (docs/light.md).

Plain Python, no NumPy or pandas: the config (museum/description/config_light.py) reads
objects' sensitivities with it, and every ``patina`` command loads the config before pandas
(``patina collect`` keeps pyarrow out of its memory only so). :mod:`analysis.light`, which
computes doses, re-exports all of it.

References
----------
.. [1] CIE 157:2004. *Control of damage to museum objects by optical radiation*.
   Commission Internationale de l'Éclairage, Vienna. §3.1: four responsivity categories,
   defined by the ISO blue wool standards, with a limiting illuminance and a limiting
   annual exposure for each.
.. [2] Michalski, S. (1990). Time's effects on paintings. In *Shared Responsibilities*,
   National Gallery of Canada, Ottawa, 39–53: the exposure for a just noticeable fade of
   the ISO blue wools without UV, about 0.4 Mlx·h for blue wool 1 and 900 Mlx·h for blue
   wool 8 (as tabulated in MFA Boston's CAMEO, "Blue Wool Standard").
.. [3] Michalski, S. *Agent of Deterioration: Light, Ultraviolet and Infrared*. Canadian
   Conservation Institute: the ISO blue wools are each about 2 to 3 times as sensitive
   as the next; the CIE 2004 categories are high = blue wool 1–3, medium = 4–6,
   low = 7 and above.
.. [4] Thomson, G. (1986). *The Museum Environment*, 2nd ed. Butterworths, London:
   UV to be kept below 75 µW/lm, the figure museums have used since.
.. [6] Canadian Conservation Institute (2015). *Ultraviolet Filters*, CCI Notes 2/1, and
   Michalski [3]_: Thomson's 75 µW/lm reflected the lamps and meters of the 1970s; UV
   filters and LEDs now reach 10 µW/lm, the limit taken for the responsive categories.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: Illuminance above which a place counts as lit, lux. Patina's choice, not a standard's:
#: above the few lux a dark case reads (sensor offset, exit signs, light through a door)
#: and far below any display level (50 lx for the most responsive objects [1]_).
LIT_THRESHOLD_LUX = 5.0
#: Thomson's limit on UV per lumen [4]_, µW/lm.
UV_LIMIT_UW_PER_LM = 75.0
#: The stricter limit for light-sensitive objects (CIE 157 medium and high) [6]_, µW/lm.
UV_LIMIT_SENSITIVE_UW_PER_LM = 10.0


# --- sensitivity and limits ---------------------------------------------------------------------


@dataclass(frozen=True)
class LightCategory:
    """A responsivity category of CIE 157 [1]_ with its limits (None: no limit from light)."""

    name: str
    #: The ISO blue wool classes it covers [3]_ (8 stands for 8 and above).
    blue_wool: tuple[int, ...]
    max_illuminance_lux: float | None
    max_annual_lux_hours: float | None


#: CIE 157:2004's categories [1]_: irresponsive (most metals, stone, glass, ceramics), low
#: (oil paintings, undyed leather and wood, horn, bone), medium (textiles, watercolours,
#: dyed leather, most natural-history objects), high (silk, fugitive colorants,
#: newspaper); the blue wool classes that define them [3]_.
CIE157_CATEGORIES: dict[str, LightCategory] = {
    "irresponsive": LightCategory("irresponsive", (), None, None),
    "low": LightCategory("low", (7, 8), 200.0, 600_000.0),
    "medium": LightCategory("medium", (4, 5, 6), 50.0, 150_000.0),
    "high": LightCategory("high", (1, 2, 3), 50.0, 15_000.0),
}

#: Exposure for a just noticeable fade of ISO blue wool 1 and 8 without UV, Mlx·h [2]_.
JNF_BLUE_WOOL_1_MLX_H = 0.4
JNF_BLUE_WOOL_8_MLX_H = 900.0


def category_of_blue_wool(blue_wool: int) -> LightCategory:
    """The CIE 157 category of an ISO blue wool class [3]_ (9 and above count as low)."""
    if blue_wool < 1:
        raise ValueError(f"ISO blue wool classes run from 1; got {blue_wool}")
    if blue_wool >= 7:
        return CIE157_CATEGORIES["low"]
    return next(c for c in CIE157_CATEGORIES.values() if blue_wool in c.blue_wool)


def jnf_dose_mlx_h(blue_wool: int) -> float:
    r"""Exposure for a just noticeable fade (JNF) of ISO blue wool class 1–8 without UV,
    Mlx·h. Michalski's end points [2]_, 0.4 Mlx·h for class 1 and 900 Mlx·h for class 8,
    with the classes between spaced at equal ratios, as the blue wools are made to be [3]_:

    .. math:: H_{JNF}(n) = 0.4\,\left(\frac{900}{0.4}\right)^{(n-1)/7}

    a ratio of 3.01 from one class to the next. UV-rich light (daylight, unfiltered
    fluorescent) fades sooner [3]_."""
    if not 1 <= blue_wool <= 8:
        raise ValueError(f"ISO blue wool classes are 1 to 8; got {blue_wool}")
    ratio = JNF_BLUE_WOOL_8_MLX_H / JNF_BLUE_WOOL_1_MLX_H
    return float(JNF_BLUE_WOOL_1_MLX_H * ratio ** ((blue_wool - 1) / 7))


def years_to_jnf(blue_wool: int, annual_lux_hours: float) -> float:
    """Years until a just noticeable fade of a material of ISO blue wool class
    ``blue_wool`` at ``annual_lux_hours`` a year (:func:`jnf_dose_mlx_h`); inf in the dark."""
    if annual_lux_hours <= 0:
        return float("inf")
    return jnf_dose_mlx_h(blue_wool) * 1e6 / annual_lux_hours


# --- an object's category and UV limit ---------------------------------------------------------

#: CIE 157's category of each organic material Patina knows, when nothing more is said of the
#: object [1]_: wood (undyed) is low; leather and textiles are taken as dyed, medium (an
#: undyed leather is low, silk high: say so per object). Metals are irresponsive.
MATERIAL_CATEGORY = {"wood": "low", "leather": "medium", "textile": "medium"}
#: Categories from the least to the most responsive.
CATEGORY_ORDER = ("irresponsive", "low", "medium", "high")
#: Categories whose UV limit is :data:`UV_LIMIT_SENSITIVE_UW_PER_LM` [6]_.
UV_SENSITIVE_CATEGORIES = ("medium", "high")
#: Hours of display a year behind CIE 157's annual limits: 50 lx × 3000 h = 150 klx·h
#: (medium), 200 lx × 3000 h = 600 klx·h (low), 50 lx × 300 h = 15 klx·h (high) [1]_.
CIE157_DISPLAY_HOURS = 3000.0


def category_of_materials(materials: Sequence[str]) -> LightCategory:
    """The most responsive CIE 157 category among an object's materials
    (:data:`MATERIAL_CATEGORY`; any other material counts as irresponsive) [1]_."""
    names = [MATERIAL_CATEGORY.get(material, "irresponsive") for material in materials]
    return CIE157_CATEGORIES[max(names, key=CATEGORY_ORDER.index, default="irresponsive")]


def uv_limit_uw_per_lm(category: LightCategory) -> float:
    """The UV per lumen an object of ``category`` should receive at most: 10 µW/lm for the
    medium and high categories [6]_, Thomson's 75 µW/lm otherwise [4]_."""
    return UV_LIMIT_SENSITIVE_UW_PER_LM if category.name in UV_SENSITIVE_CATEGORIES else UV_LIMIT_UW_PER_LM
