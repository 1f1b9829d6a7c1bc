"""Hex cartogram of the 42 integrated care systems (ICBs) of England, authored for this project.

One equal hexagon per system, placed roughly as on the map of England (London's five ICBs clustered in the
south-east, Cornwall at the far south-west, North East and North Cumbria at the top). The layout was guided by
the population-free area centroids of the ONS ICB (July 2022) BUC boundaries and then tidied by hand; it is
stored below as an explicit table so it can be reviewed and edited without running anything.

Grid convention ("odd-r" offset coordinates, pointy-topped hexagons):

* ``row`` counts upwards from the south (row 0 = Cornwall), ``col`` counts eastwards.
* Odd rows are shifted half a hexagon to the east, so the hexagon's x position in half-widths is
  ``2 * col + (row % 2)``.
* Neighbours of (col, row): (col +/- 1, row) and, in the rows above and below, (col - 1 + row % 2, row +/- 1)
  and (col + row % 2, row +/- 1).

``hex_layout(level)`` turns the table into pseudo-geographic polygons: hexagon centres are laid out in
Web-Mercator space over England's extent and converted back to lon/lat, so the hexagons are regular on a
pydeck/deck.gl map (``PolygonLayer(get_polygon="polygon")``) and the whole cartogram sits over England.
"""
from __future__ import annotations

import io
import math

import pandas as pd

from lib.data import geography

# q_code | col | row | label  (label: a short abbreviation a person can read; 2-5 characters)
_LAYOUT_TEXT = """QHM|2|9|NENC
QE1|2|8|LSC
QOQ|3|8|HNY
QOP|1|7|GM
QWO|2|7|WY
QF7|3|7|SY
QYG|1|6|C&M
QNC|2|6|SSOT
QJ2|3|6|Derby
QT1|4|6|Notts
QJM|5|6|Lincs
QOC|1|5|STW
QUA|2|5|BC
QHL|3|5|BSol
QK1|4|5|LLR
QUE|5|5|C&P
QMM|6|5|N&W
QGH|2|4|H&W
QWU|3|4|C&W
QPM|4|4|Nhant
QHG|5|4|BLMK
QM7|6|4|HWE
QJG|7|4|SNEE
QUY|1|3|BNSSG
QR1|2|3|Glos
QU9|3|3|BOB
QRV|4|3|NWL
QMJ|5|3|NCL
QMF|6|3|NEL
QH8|7|3|MSE
QSL|2|2|Som
QOX|3|2|BSW
QNQ|4|2|Frim
QWE|5|2|SWL
QKK|6|2|SEL
QJK|1|1|Devon
QVV|2|1|Dors
QRL|3|1|HIOW
QXU|4|1|Surr
QNX|5|1|Ssx
QKS|6|1|K&M
QT6|1|0|CIOS"""

HEX_LAYOUT: pd.DataFrame = pd.read_csv(io.StringIO(_LAYOUT_TEXT), sep="|", header=None, dtype={0: str, 3: str},
                                       names=["q_code", "col", "row", "label"], keep_default_na=False)
"""The authored layout: q_code, col, row (odd-r offset, row 0 = south), label."""

LABELS: dict[str, str] = dict(zip(HEX_LAYOUT["q_code"], HEX_LAYOUT["label"]))

# Placement of the grid over England (degrees). Hexagon circumradius in degrees of longitude; the grid origin
# (col 0, row 0) centre. Chosen so the hexagon centres fit the ICB area centroids (scripts/fit_hexmap.py).
HEX_RADIUS_DEG = 0.45
ORIGIN_LON = -4.2
ORIGIN_LAT = 50.53

_SQRT3 = math.sqrt(3.0)


def _merc_y(lat: float) -> float:
    """Web-Mercator northing in degrees-of-longitude units."""
    return math.degrees(math.log(math.tan(math.pi / 4 + math.radians(lat) / 2)))


def _inv_merc_y(y: float) -> float:
    return math.degrees(2 * math.atan(math.exp(math.radians(y))) - math.pi / 2)


def hex_xy(col: int, row: int) -> tuple[float, float]:
    """Centre of a cell in hexagon units (circumradius 1): x east, y north."""
    return (_SQRT3 * (col + 0.5 * (row % 2)), 1.5 * row)


def neighbours(col: int, row: int) -> list[tuple[int, int]]:
    """The six cells around (col, row) in the odd-r grid."""
    shift = row % 2
    return [(col - 1, row), (col + 1, row),
            (col - 1 + shift, row + 1), (col + shift, row + 1),
            (col - 1 + shift, row - 1), (col + shift, row - 1)]


def _to_lonlat(x: float, y: float) -> tuple[float, float]:
    lon = ORIGIN_LON + x * HEX_RADIUS_DEG
    lat = _inv_merc_y(_merc_y(ORIGIN_LAT) + y * HEX_RADIUS_DEG)
    return lon, lat


def _hexagon(x: float, y: float, scale: float = 1.0) -> list[list[float]]:
    verts = []
    for k in range(6):
        a = math.radians(30 + 60 * k)
        lon, lat = _to_lonlat(x + scale * math.cos(a), y + scale * math.sin(a))
        verts.append([round(lon, 5), round(lat, 5)])
    return verts


def _codes_for_level(level: str) -> pd.DataFrame:
    """code (Q-code at the level) -> q_code in the ICB layout."""
    if level == "ICS":
        return pd.DataFrame({"code": geography.ICBS["q_code"], "q_code": geography.ICBS["q_code"]})
    if level == "STP":
        return pd.DataFrame({"code": geography.STPS["q_code"], "q_code": geography.STPS["icb_q_code"]})
    raise ValueError(f"unknown geography level {level!r}: expected one of {', '.join(geography.LEVELS)}")


def hex_layout(level: str = "ICS", *, gap: float = 0.04) -> pd.DataFrame:
    """One row per system: code, name, short_name, region_code, label, col, row, lon, lat, polygon.

    ``lon``/``lat`` is the hexagon centre (use it for text labels and clicks); ``polygon`` is a list of six
    [lon, lat] vertices (open ring; deck.gl closes it). ``gap`` shrinks each hexagon by that fraction so
    neighbours show a thin gutter (0 = touching).
    STP level: each of the 42 STPs takes the cell of its successor ICB (``geography.STPS.icb_q_code``).
    """
    codes = _codes_for_level(level)
    lay = codes.merge(HEX_LAYOUT, on="q_code", how="left", validate="one_to_one")
    if lay["col"].isna().any():
        missing = ", ".join(lay.loc[lay["col"].isna(), "code"])
        raise ValueError(f"hex layout has no cell for {missing}")
    names = geography.areas(level).set_index("code")
    out = []
    for r in lay.itertuples(index=False):
        x, y = hex_xy(int(r.col), int(r.row))
        lon, lat = _to_lonlat(x, y)
        out.append({
            "code": r.code, "name": names.at[r.code, "name"], "short_name": names.at[r.code, "short_name"],
            "region_code": names.at[r.code, "region_code"], "label": r.label,
            "col": int(r.col), "row": int(r.row), "lon": round(lon, 5), "lat": round(lat, 5),
            "polygon": _hexagon(x, y, 1.0 - gap),
        })
    return pd.DataFrame(out).sort_values(["row", "col"], ascending=[False, True], ignore_index=True)


def hex_labels(level: str = "ICS") -> pd.DataFrame:
    """Label positions for a TextLayer: code, label, lon, lat (hexagon centres)."""
    return hex_layout(level)[["code", "label", "lon", "lat"]]


def view_state(level: str = "ICS") -> dict:
    """Suggested pydeck ``ViewState`` keyword arguments that frame the cartogram (pitch 0, no bearing)."""
    lay = hex_layout(level, gap=0.0)
    lons = [p[0] for poly in lay["polygon"] for p in poly]
    lats = [p[1] for poly in lay["polygon"] for p in poly]
    lon_c = (min(lons) + max(lons)) / 2
    lat_c = _inv_merc_y((_merc_y(min(lats)) + _merc_y(max(lats))) / 2)
    # zoom so the taller of the two spans fits ~600 px: 360 deg of longitude = 512 px at zoom 1.
    span = max(max(lons) - min(lons), _merc_y(max(lats)) - _merc_y(min(lats)))
    zoom = math.log2(600 * 360 / (512 * span))
    return {"longitude": round(lon_c, 4), "latitude": round(lat_c, 4), "zoom": round(zoom, 2),
            "pitch": 0, "bearing": 0}


def adjacency(level: str = "ICS") -> dict[str, list[str]]:
    """Code -> codes of the systems in the neighbouring cells."""
    lay = hex_layout(level)
    at = {(c, r): code for code, c, r in zip(lay["code"], lay["col"], lay["row"])}
    return {code: sorted(at[n] for n in neighbours(c, r) if n in at)
            for code, c, r in zip(lay["code"], lay["col"], lay["row"])}
