"""Draws the example museum's floor plans (docs/plans/gallery-*.svg): walls, a door, and a
grey outline where each case stands, at the positions museum.example.toml gives under
[[galleries]]. Run it again after moving a case in the example:

    .venv/bin/python docs/plans/make_plans.py
"""

from __future__ import annotations

import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent
WIDTH, HEIGHT = 1000, 600


def plan_svg(title: str, places: list[tuple[str, float, float]], door_x: float) -> str:
    """A gallery 1000 × 600: its walls, a door in the bottom wall at ``door_x``, each case
    a grey rectangle centred on its place (fractions of the image)."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fbfaf7"/>',
        '<rect x="30" y="30" width="940" height="540" fill="#f3f1ea" stroke="#444" stroke-width="8"/>',
        # The door: a gap in the bottom wall and its swing.
        f'<rect x="{door_x * WIDTH - 45:.0f}" y="562" width="90" height="16" fill="#fbfaf7"/>',
        f'<path d="M {door_x * WIDTH - 45:.0f} 566 a 90 90 0 0 1 90 -90" fill="none" stroke="#999" '
        'stroke-dasharray="6 4"/>',
        f'<text x="50" y="70" font-size="26" fill="#555">{title}</text>',
    ]
    for case_id, x, y in places:
        cx, cy = x * WIDTH, y * HEIGHT
        parts.append(
            f'<rect x="{cx - 70:.0f}" y="{cy - 40:.0f}" width="140" height="80" rx="6" '
            'fill="#e4e1d8" stroke="#8a8578" stroke-width="2"/>'
        )
        parts.append(
            f'<text x="{cx:.0f}" y="{cy + 62:.0f}" font-size="18" fill="#555" '
            f'text-anchor="middle">{case_id}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main() -> None:
    example = tomllib.loads((HERE.parent.parent / "museum.example.toml").read_text(encoding="utf-8"))
    for number, gallery in enumerate(example.get("galleries", [])):
        if "plan" not in gallery:
            continue
        places = [(p["case"], p["x"], p["y"]) for p in gallery.get("cases", [])]
        path = HERE.parent.parent / gallery["plan"]
        title = gallery["gallery"]["en"] if isinstance(gallery["gallery"], dict) else gallery["gallery"]
        path.write_text(plan_svg(title, places, 0.2 + 0.3 * number), encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
