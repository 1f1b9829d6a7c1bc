"""Helper used while authoring lib/data/hexmap.py: compare the hex layout with the real ICB centroids.

Fits the grid placement (origin and hexagon size, in Web-Mercator degrees) to the area centroids of the ONS ICB
(July 2022) BUC boundaries by least squares and prints, per ICB, how far its hexagon sits from its centroid.
The committed layout is the explicit table in lib/data/hexmap.py; this script only informs it.

    .venv/bin/python scripts/fit_hexmap.py [path/to/icb_boundaries.geojson]
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.data import boundaries
from lib.data import hexmap  # noqa: E402

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "reference" / "boundaries" / "icb_boundaries.geojson"


def main(path: Path = DEFAULT) -> None:
    b = boundaries.read_boundaries(path, "ICS").set_index("code")
    lay = hexmap.HEX_LAYOUT.set_index("q_code")
    codes = list(lay.index)
    xy = np.array([hexmap.hex_xy(lay.at[c, "col"], lay.at[c, "row"]) for c in codes])
    target = np.array([[b.at[c, "centroid_lon"], hexmap._merc_y(b.at[c, "centroid_lat"])] for c in codes])
    # unknowns: lon0, y0, R  with  lon = lon0 + R*x, merc = y0 + R*y
    n = len(codes)
    a = np.zeros((2 * n, 3))
    a[:n, 0] = 1
    a[:n, 2] = xy[:, 0]
    a[n:, 1] = 1
    a[n:, 2] = xy[:, 1]
    rhs = np.concatenate([target[:, 0], target[:, 1]])
    (lon0, y0, r), *_ = np.linalg.lstsq(a, rhs, rcond=None)
    print(f"fit: ORIGIN_LON={lon0:.3f} ORIGIN_LAT={hexmap._inv_merc_y(y0):.3f} HEX_RADIUS_DEG={r:.3f}")
    lay_now = hexmap.hex_layout("ICS").set_index("code")
    for c in codes:
        d = np.hypot(lay_now.at[c, "lon"] - b.at[c, "centroid_lon"],
                     hexmap._merc_y(lay_now.at[c, "lat"]) - hexmap._merc_y(b.at[c, "centroid_lat"]))
        print(f"{c} {hexmap.LABELS[c]:6s} off by {d / hexmap.HEX_RADIUS_DEG:4.1f} hexagon radii")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT)
