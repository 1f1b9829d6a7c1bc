"""Hex cartogram of the 42 ICBs: completeness, no overlaps, adjacency and rough geography."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from lib.data import geography
from lib.data import hexmap

LONDON = {"QMJ", "QMF", "QKK", "QWE", "QRV"}


@pytest.fixture(scope="module")
def lay() -> pd.DataFrame:
    return hexmap.hex_layout("ICS")


def _connected(codes: set[str], adj: dict[str, list[str]]) -> bool:
    start = next(iter(codes))
    seen, todo = {start}, [start]
    while todo:
        for n in adj[todo.pop()]:
            if n in codes and n not in seen:
                seen.add(n)
                todo.append(n)
    return seen == codes


def test_all_42_icbs_once(lay):
    assert len(hexmap.HEX_LAYOUT) == 42
    assert hexmap.HEX_LAYOUT["q_code"].is_unique
    assert set(lay["code"]) == set(geography.ICBS["q_code"])
    assert lay["code"].is_unique
    assert {"code", "col", "row", "lon", "lat", "polygon", "label"} <= set(lay.columns)


def test_no_two_hexes_share_a_cell(lay):
    cells = list(zip(lay["col"], lay["row"]))
    assert len(set(cells)) == 42


def test_every_hex_has_a_neighbour_and_map_is_one_piece():
    adj = hexmap.adjacency("ICS")
    assert all(adj[c] for c in adj), [c for c in adj if not adj[c]]
    assert _connected(set(adj), adj)


def test_hexagons_do_not_overlap(lay):
    # in Web-Mercator degrees the hexagons are regular: centres at least sqrt(3) radii apart
    pts = [(lon, hexmap._merc_y(lat)) for lon, lat in zip(lay["lon"], lay["lat"])]
    dmin = min(math.dist(a, b) for i, a in enumerate(pts) for b in pts[i + 1:])
    assert dmin >= math.sqrt(3) * hexmap.HEX_RADIUS_DEG * 0.999
    for poly in lay["polygon"]:
        assert len(poly) == 6 and all(len(p) == 2 for p in poly)


def test_rough_geography(lay):
    t = lay.set_index("code")
    # Cornwall: the most south-westerly (lowest and smallest lon + lat) and on the bottom row alone
    assert t["lat"].idxmin() == "QT6" and (t["lat"] == t.at["QT6", "lat"]).sum() == 1
    assert (t["lon"] + t["lat"]).idxmin() == "QT6"
    # North East and North Cumbria at the top
    assert t["lat"].idxmax() == "QHM" and (t["lat"] == t.at["QHM", "lat"]).sum() == 1
    # London in the south-east quarter, east of Bristol and south of Birmingham
    for c in LONDON:
        assert t.at[c, "lon"] > t.at["QUY", "lon"] and t.at[c, "lat"] < t.at["QHL", "lat"]
    assert t.at["QMM", "lat"] > t.at["QJG", "lat"] > t.at["QH8", "lat"]  # Norfolk above Suffolk above Essex
    assert t.at["QKS", "lon"] > t.at["QNX", "lon"] > t.at["QRL", "lon"] > t.at["QVV", "lon"]  # south coast
    assert t.at["QE1", "lon"] < t.at["QOQ", "lon"]  # Lancashire west of North Yorkshire
    # the cartogram sits over England
    assert t["lon"].between(-6, 2).all() and t["lat"].between(49.9, 56).all()


def test_london_icbs_are_clustered():
    adj = hexmap.adjacency("ICS")
    assert _connected(LONDON, adj)
    for c in LONDON:
        assert len(LONDON & set(adj[c])) >= 2, c


def test_each_nhs_region_is_contiguous(lay):
    adj = hexmap.adjacency("ICS")
    for region, grp in lay.groupby("region_code"):
        assert _connected(set(grp["code"]), adj), region


def test_some_real_neighbours_are_adjacent():
    adj = hexmap.adjacency("ICS")
    for a, b in [("QT6", "QJK"), ("QHM", "QE1"), ("QHM", "QOQ"), ("QOP", "QYG"), ("QWO", "QF7"),
                 ("QHL", "QUA"), ("QKS", "QKK"), ("QNX", "QKS"), ("QXU", "QWE"), ("QMM", "QJG"), ("QJM", "QT1")]:
        assert b in adj[a], (a, b)


def test_labels_short_readable_unique():
    labels = hexmap.LABELS
    assert set(labels) == set(geography.ICBS["q_code"])
    assert len(set(labels.values())) == 42
    assert all(2 <= len(v) <= 5 for v in labels.values())
    lab = hexmap.hex_labels("ICS")
    assert list(lab.columns) == ["code", "label", "lon", "lat"] and len(lab) == 42


def test_stp_layout_reuses_successor_icb_cells(lay):
    stp = hexmap.hex_layout("STP")
    assert set(stp["code"]) == set(geography.STPS["q_code"]) and len(stp) == 42
    icb_cell = {c: (col, row) for c, col, row in zip(lay["code"], lay["col"], lay["row"])}
    succ = dict(zip(geography.STPS["q_code"], geography.STPS["icb_q_code"]))
    for c, col, row in zip(stp["code"], stp["col"], stp["row"]):
        assert icb_cell[succ[c]] == (col, row)
    assert stp["name"].str.len().gt(0).all()


def test_view_state_frames_england():
    vs = hexmap.view_state()
    assert set(vs) == {"longitude", "latitude", "zoom", "pitch", "bearing"}
    assert -3.5 < vs["longitude"] < 0.5 and 51 < vs["latitude"] < 54 and 4.5 < vs["zoom"] < 7.5


def test_unknown_level():
    with pytest.raises(ValueError, match="ICS"):
        hexmap.hex_layout("CCG")


@pytest.mark.parametrize("level, n", [("ICS", 42), ("ICS2026", 36), ("STP", 42)])
def test_cell_centres_are_the_layout_in_hexagon_units(level, n):
    c = hexmap.cell_centres(level)
    lay = hexmap.hex_layout(level)
    assert len(c) == n and set(c["code"]) == set(geography.areas(level)["code"])
    assert list(c["code"]) == list(lay["code"]) and list(c["label"]) == list(lay["label"])
    for r in c.itertuples():
        x, y = hexmap.hex_xy(r.col, r.row)
        assert (r.x, r.y) == (pytest.approx(x, abs=1e-4), pytest.approx(y, abs=1e-4))
    # neighbouring cells are one hexagon apart: sqrt(3) circumradii between centres, whatever the row parity
    at = {(r.col, r.row): (r.x, r.y) for r in c.itertuples()}
    for (col, row), (x, y) in at.items():
        for nb in hexmap.neighbours(col, row):
            if nb in at:
                assert math.dist((x, y), at[nb]) == pytest.approx(math.sqrt(3), abs=1e-3)
    x0, x1, y0, y1 = hexmap.extent(level)
    assert x0 == pytest.approx(c["x"].min() - 1) and x1 == pytest.approx(c["x"].max() + 1)
    assert y0 == pytest.approx(c["y"].min() - 1) and y1 == pytest.approx(c["y"].max() + 1)


def test_hexagon_path_is_a_regular_pointy_topped_hexagon_of_radius_1():
    import re
    pts = [tuple(map(float, p.split(","))) for p in re.findall(r"-?\d+(?:\.\d+)?,-?\d+(?:\.\d+)?",
                                                                hexmap.HEXAGON_PATH)]
    assert len(pts) == 6 and hexmap.HEXAGON_PATH.endswith("Z")
    assert all(math.hypot(x, y) == pytest.approx(1, abs=1e-3) for x, y in pts)
    assert (0.0, 1.0) in pts and (0.0, -1.0) in pts  # pointy top and bottom, as hex_xy's rows assume
    sides = [math.dist(pts[i], pts[(i + 1) % 6]) for i in range(6)]
    assert all(s == pytest.approx(1, abs=1e-3) for s in sides)
