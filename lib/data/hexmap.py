"""Hex cartograms of England's integrated care systems (the 42 ICBs of 2022, the 36 of April 2026), authored for
this project.

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

import functools
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

# The 36 ICBs of April 2026 (lib/data/vintages/ICS2026.csv), authored from the 42-hex layout above: the unchanged
# systems keep their cells except two that move one cell west to close the gaps the mergers leave (North East
# London beside West and North London; Kent and Medway on the coast below South East London). Each new system sits
# where most of it was: Norfolk and Suffolk on Cambridgeshire's old cell below Lincolnshire, Central East on
# Bedfordshire, Luton and Milton Keynes (north of London), Essex on Hertfordshire and West Essex's cell (north-east
# of London), Thames Valley on Buckinghamshire, Oxfordshire and Berkshire West (west of London), West and North
# London on North West London, Surrey and Sussex on Frimley's (Surrey). One cell on the south coast stays empty.
_LAYOUT_2026_TEXT = """QHM|2|9|NENC
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
T6Y0W|5|5|N&S
QGH|2|4|H&W
QWU|3|4|C&W
QPM|4|4|Nhant
S1Y5D|5|4|CE
D7T5G|6|4|Essex
QUY|1|3|BNSSG
QR1|2|3|Glos
S0E4D|3|3|TV
Z9B2Z|4|3|WNL
QMF|5|3|NEL
QSL|2|2|Som
QOX|3|2|BSW
S9B9J|4|2|S&S
QWE|5|2|SWL
QKK|6|2|SEL
QJK|1|1|Devon
QVV|2|1|Dors
QRL|3|1|HIOW
QKS|5|1|K&M
QT6|1|0|CIOS"""


def _read_layout(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), sep="|", header=None, dtype={0: str, 3: str},
                       names=["q_code", "col", "row", "label"], keep_default_na=False)


HEX_LAYOUT: pd.DataFrame = _read_layout(_LAYOUT_TEXT)
"""The authored layout: q_code, col, row (odd-r offset, row 0 = south), label."""
HEX_LAYOUT_2026: pd.DataFrame = _read_layout(_LAYOUT_2026_TEXT)
"""The authored layout of the 36 ICBs of April 2026."""
_AUTHORED = {"ICS": HEX_LAYOUT, "ICS2026": HEX_LAYOUT_2026}


def layout_for(key: str) -> pd.DataFrame:
    """The cells of a geography vintage: code, col, row, label.

    Authored for the ICBs of 2022 and 2026. A vintage added later without an authored layout (e.g. April 2027)
    is derived: each unchanged system keeps its cell in the latest authored layout and each new system takes the
    cell of its default predecessor there (lib/data/vintages successions), so the map works without code
    changes; author a layout here to tidy it."""
    v = geography.vintage(key)
    if v.key in _AUTHORED:
        return _AUTHORED[v.key].rename(columns={"q_code": "code"})
    if v.level == "STP":
        lay = HEX_LAYOUT.set_index("q_code")
        icb = geography.STPS.set_index("q_code")["icb_q_code"]
        return pd.DataFrame([{"code": c, **lay.loc[icb[c]].to_dict()} for c in v.areas["code"]])
    base_key = [k for k in _AUTHORED if geography.vintage(k).level == v.level
                and geography.vintage(k).effective_from < v.effective_from][-1]
    base = _AUTHORED[base_key].set_index("q_code")
    rows, used = [], set()
    for c in v.areas["code"]:
        src = c if c in base.index else geography.translate(c, v.key, base_key)[0]
        if src not in base.index or src in used:
            raise ValueError(f"hex layout for {v.key}: no free cell for {c}; author one in lib/data/hexmap.py")
        used.add(src)
        r = base.loc[src]
        rows.append({"code": c, "col": int(r["col"]), "row": int(r["row"]),
                     "label": r["label"] if src == c else c})
    return pd.DataFrame(rows)

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
    """code (system of the level or vintage) -> its cell: code, col, row, label."""
    return layout_for(level)


def hex_layout(level: str = "ICS", *, gap: float = 0.04) -> pd.DataFrame:
    """(A copy of) _hex_layout: the layout is fixed data, built once per level and gap (py-spy: rebuilt on every
    Sickness absence open, about a tenth of its server time)."""
    return _hex_layout(level, gap).copy()


@functools.lru_cache(maxsize=16)
def _hex_layout(level: str, gap: float) -> pd.DataFrame:
    """One row per system: code, name, short_name, region_code, label, col, row, lon, lat, polygon.

    ``lon``/``lat`` is the hexagon centre (use it for text labels and clicks); ``polygon`` is a list of six
    [lon, lat] vertices (open ring; deck.gl closes it). ``gap`` shrinks each hexagon by that fraction so
    neighbours show a thin gutter (0 = touching).
    STP level: each of the 42 STPs takes the cell of its successor ICB (``geography.STPS.icb_q_code``).
    """
    lay = pd.DataFrame({"code": geography.areas(level)["code"]}).merge(
        _codes_for_level(level), on="code", how="left", validate="one_to_one")
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


def label_key(level: str = "ICS") -> list[tuple[str, str]]:
    """(label, system name) for every hexagon of the level, by label: the key that says what "BSol" or "S&S" on
    the cartogram stands for (a hexagon has room for a few letters, not a name)."""
    lay = hex_layout(level)
    return sorted(zip(lay["label"].astype(str), lay["short_name"].astype(str)), key=lambda t: t[0].lower())


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


# A pointy-topped hexagon of circumradius 1 around the origin, as an SVG path: the shape of a Vega-Lite point mark
# (Vega scales a custom symbol path by sqrt(size) / 2, so size = (2 x radius in pixels) ** 2 draws radius pixels).
HEXAGON_PATH = "M0.866,-0.5L0.866,0.5L0,1L-0.866,0.5L-0.866,-0.5L0,-1Z"


def cell_centres(level: str = "ICS") -> pd.DataFrame:
    """One row per system of the level: code, label, col, row, x, y, the centre in hexagon units (circumradius 1;
    x east, y north: ``hex_xy``). For drawing the cartogram without a map projection (Vega-Lite point marks)."""
    lay = hex_layout(level)[["code", "label", "col", "row"]].copy()
    xy = [hex_xy(int(c), int(r)) for c, r in zip(lay["col"], lay["row"])]
    lay["x"] = [round(p[0], 4) for p in xy]
    lay["y"] = [round(p[1], 4) for p in xy]
    return lay


def extent(level: str = "ICS", margin: float = 1.0) -> tuple[float, float, float, float]:
    """(x_min, x_max, y_min, y_max) of the level's hexagons in hexagon units, with `margin` around the centres
    (1.0 = the hexagons' circumradius, so whole hexagons fit)."""
    c = cell_centres(level)
    return (float(c["x"].min() - margin), float(c["x"].max() + margin),
            float(c["y"].min() - margin), float(c["y"].max() + margin))
