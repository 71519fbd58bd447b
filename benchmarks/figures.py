"""One figure per line, in a form `benchmarks/run_all.py` collects into its table:
``FIGURE<TAB>name<TAB>value<TAB>unit``. Every benchmark also prints its figures for people."""

from __future__ import annotations


def figure(name: str, value: float, unit: str) -> None:
    print(f"FIGURE\t{name}\t{value:.6g}\t{unit}", flush=True)
