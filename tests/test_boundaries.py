"""Reading ONS boundary GeoJSON: real reference files at ICS/STP/region level, simplification, clear errors."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from lib.data import boundaries
from lib.data import geography
from lib.data.boundaries import BoundaryFileError, read_boundaries

SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference"
BND = SHARED / "boundaries"
ICB_FILE = BND / "icb_boundaries.geojson"
STP_FILE = BND / "derived" / "boundaries_stp21.geojson"
ICB_SMALL = BND / "derived" / "boundaries_icb22_geographr_simplified.geojson"
REGION_FILE = BND / "derived" / "nhser22_dissolved_from_icb22_buc.geojson"

pytestmark = pytest.mark.skipif(not ICB_FILE.exists(), reason="shared reference boundaries not available")

ENG = dict(lon=(-6.5, 2.0), lat=(49.8, 55.9))


@pytest.fixture(scope="module")
def icb():
    return read_boundaries(ICB_FILE, "ICS")


@pytest.fixture(scope="module")
def raw():
    return json.loads(ICB_FILE.read_text())


def _write(tmp_path, data, name="b.geojson") -> Path:
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else json.dumps(data))
    return p


def _in_england(df):
    return (df["centroid_lon"].between(*ENG["lon"]).all() and df["centroid_lat"].between(*ENG["lat"]).all()
            and df["label_lon"].between(*ENG["lon"]).all() and df["label_lat"].between(*ENG["lat"]).all())


def test_icb_july_2022_file(icb):
    assert len(icb) == 42
    assert set(icb["code"]) == set(geography.ICBS["q_code"])
    assert icb["code"].is_unique
    assert _in_england(icb)
    t = icb.set_index("code")
    assert t["centroid_lon"].idxmin() == "QT6" and t["centroid_lat"].idxmax() == "QHM"
    assert t.at["QKK", "name"] == "South East London"
    # structure: list of polygons -> rings -> closed [lon, lat]
    for polys in icb["polygons"]:
        for poly in polys:
            for ring in poly:
                assert len(ring) >= 4 and ring[0] == ring[-1] and all(len(p) == 2 for p in ring)


def test_simplified_smaller_but_same_shape(icb, raw):
    a = icb.attrs
    assert a["bytes_after"] < 0.5 * a["bytes_before"]
    assert a["points_after"] <= a["points_before"]
    assert json.dumps(boundaries.to_geojson(icb)).__len__() < ICB_FILE.stat().st_size / 2

    def area(polys):
        return sum(abs(boundaries._ring_area(__import__("numpy").asarray(poly[0]))) for poly in polys)
    before = sum(area(f["geometry"]["coordinates"]) for f in raw["features"])
    after = sum(area(p) for p in icb["polygons"])
    assert after == pytest.approx(before, rel=0.02)


def test_shared_borders_stay_shared(icb):
    # neighbouring ICBs keep identical border vertices after simplification (no slivers / gaps)
    t = icb.set_index("code")
    pts = {c: {tuple(p) for poly in t.at[c, "polygons"] for ring in poly for p in ring} for c in ("QKK", "QKS")}
    assert len(pts["QKK"] & pts["QKS"]) >= 3


def test_label_points_inside(icb):
    import numpy as np
    for polys, x, y in zip(icb["polygons"], icb["label_lon"], icb["label_lat"]):
        assert any(boundaries._point_in_ring(x, y, np.asarray(poly[0])) for poly in polys)
    c = boundaries.centroids(icb)
    assert list(c.columns) == ["code", "name", "lon", "lat"] and len(c) == 42


def test_stp_april_2021_file():
    stp = read_boundaries(STP_FILE, "STP")
    assert len(stp) == 42 and set(stp["code"]) == set(geography.STPS["q_code"])
    assert _in_england(stp)
    t = stp.set_index("code")
    assert t["centroid_lat"].idxmax() == "QHM"
    assert "Greater Manchester" in t.at["QOP", "name"]  # E54000007 (STP-only code) -> QOP


def test_geographr_icb_codes_without_q_codes():
    df = read_boundaries(ICB_SMALL, "ICS")
    assert len(df) == 42 and set(df["code"]) == set(geography.ICBS["q_code"])
    assert _in_england(df)


def test_region_file():
    df = read_boundaries(REGION_FILE, "region")
    assert set(df["code"]) == set(geography.REGIONS)


def test_icb22cd_only_and_uppercase_props(tmp_path, raw):
    data = copy.deepcopy(raw)
    for f in data["features"]:
        p = f["properties"]
        f["properties"] = {"ICB22CD": p["icb22cd"], "ICB22NM": p["icb22nm"]}
    df = read_boundaries(_write(tmp_path, data), "ICS")
    assert set(df["code"]) == set(geography.ICBS["q_code"])


def test_icb_april_2023_codes(tmp_path, raw):
    data = copy.deepcopy(raw)
    new = dict(zip(geography.ICBS["q_code"], geography.ICBS["e54_code_2023"]))
    for f in data["features"]:
        q = f["properties"]["icb22cdh"]
        f["properties"] = {"ICB23CD": new[q], "ICB23CDH": q, "ICB23NM": f["properties"]["icb22nm"]}
    df = read_boundaries(_write(tmp_path, data), "ICS")
    assert set(df["code"]) == set(geography.ICBS["q_code"])
    assert "E54000063" in {f["properties"]["ICB23CD"] for f in data["features"]}


# ------------------------------------------------------------------------------------------------ bad files
def test_broken_json(tmp_path):
    p = _write(tmp_path, '{"type": "FeatureCollection", "features": [', "broken.geojson")
    with pytest.raises(BoundaryFileError, match=r"broken\.geojson.*not valid JSON.*line 1"):
        read_boundaries(p, "ICS")
    assert issubclass(BoundaryFileError, ValueError)


def test_not_a_feature_collection(tmp_path, raw):
    p = _write(tmp_path, raw["features"][0], "one.geojson")
    with pytest.raises(BoundaryFileError, match=r"one\.geojson.*'Feature'.*expected a GeoJSON FeatureCollection"):
        read_boundaries(p, "ICS")


def test_wrong_property_for_level(tmp_path):
    with pytest.raises(BoundaryFileError, match=r"boundaries_stp21\.geojson: feature 0: no ICS code property "
                                                 r"\(properties: stp21_name, stp21_code\); expected .*icb22cd"):
        read_boundaries(STP_FILE, "ICS")
    data = json.loads(ICB_FILE.read_text())
    for f in data["features"]:
        f["properties"] = {"code": f["properties"]["icb22cd"]}
    with pytest.raises(BoundaryFileError, match=r"feature 0: no ICS code property \(properties: code\)"):
        read_boundaries(_write(tmp_path, data, "generic.geojson"), "ICS")


def test_unknown_code(tmp_path, raw):
    data = copy.deepcopy(raw)
    data["features"][3]["properties"] = {"icb22cd": "E54999999", "icb22nm": "NHS Nowhere ICB"}
    with pytest.raises(BoundaryFileError, match=r"b\.geojson: feature 3: property 'icb22cd' = 'E54999999' is not a "
                                                 r"known ICS system; expected an ONS E54 code \(July 2022 or April 2023\) of the 42 ICBs"):
        read_boundaries(_write(tmp_path, data), "ICS")


def test_contradicting_codes(tmp_path, raw):
    data = copy.deepcopy(raw)
    data["features"][5]["properties"]["icb22cdh"] = "QKK" if data["features"][5]["properties"]["icb22cdh"] != "QKK" \
        else "QWE"
    with pytest.raises(BoundaryFileError, match=r"feature 5: property 'icb22cd'.*expected codes of the same system"):
        read_boundaries(_write(tmp_path, data), "ICS")


def test_missing_systems(tmp_path, raw):
    data = copy.deepcopy(raw)
    data["features"] = [f for f in data["features"] if f["properties"]["icb22cdh"] not in ("QT6", "QKK")]
    with pytest.raises(BoundaryFileError, match=r"2 of 42 ICS systems missing: QKK South East London, QT6 Cornwall"):
        read_boundaries(_write(tmp_path, data), "ICS")
    part = read_boundaries(_write(tmp_path, data), "ICS", require_all=False)
    assert len(part) == 40


def test_british_national_grid_coordinates(tmp_path, raw):
    data = copy.deepcopy(raw)
    geom = data["features"][0]["geometry"]
    geom["coordinates"] = [[[[x * 70000 + 550000, y * 111000 - 5_500_000] for x, y in ring] for ring in poly]
                           for poly in geom["coordinates"]]
    with pytest.raises(BoundaryFileError, match=r"b\.geojson: feature 0 \(icb22cdh=QYG\): geometry\.coordinates "
                                                 r"start \[.*expected WGS84 \[longitude, latitude\].*British National Grid"):
        read_boundaries(_write(tmp_path, data), "ICS")
    data = copy.deepcopy(raw)
    data["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}
    with pytest.raises(BoundaryFileError, match=r"British National Grid; expected WGS84"):
        read_boundaries(_write(tmp_path, data), "ICS")


def test_swapped_lat_lon(tmp_path, raw):
    data = copy.deepcopy(raw)
    geom = data["features"][2]["geometry"]
    geom["coordinates"] = [[[[y, x] for x, y in ring] for ring in poly] for poly in geom["coordinates"]]
    with pytest.raises(BoundaryFileError, match=r"feature 2 .*look like \[lat, lon\]"):
        read_boundaries(_write(tmp_path, data), "ICS")


def test_null_geometry(tmp_path, raw):
    data = copy.deepcopy(raw)
    data["features"][1]["geometry"] = None
    with pytest.raises(BoundaryFileError, match=r"feature 1 .*geometry is missing"):
        read_boundaries(_write(tmp_path, data), "ICS")


def test_unknown_level():
    with pytest.raises(ValueError, match="expected one of ICS, STP, region"):
        read_boundaries(ICB_FILE, "LSOA")


def test_pydeck_helpers(icb):
    ex = boundaries.explode_polygons(icb)
    assert len(ex) >= 42 and "polygon" in ex.columns and "polygons" not in ex.columns
    assert set(ex["code"]) == set(icb["code"])
    gj = boundaries.to_geojson(icb)
    assert gj["type"] == "FeatureCollection" and len(gj["features"]) == 42
    vs = boundaries.view_state(icb)
    assert -3 < vs["longitude"] < 0 and 51.5 < vs["latitude"] < 54
