"""Read ONS boundary GeoJSON (ICB / STP / NHS England region) as published and make it small for the browser.

``read_boundaries(path, level)`` returns one row per system keyed by the NHS Q-code:

* ``code`` (Q-code; Y56..Y63 at level "region"), ``name`` (short name from ``lib.data.geography``)
* ``polygons``: list of polygons, each a list of rings (outer ring first, then holes), each ring a list of
  closed [lon, lat] pairs - i.e. GeoJSON MultiPolygon coordinates, simplified.
* ``centroid_lon``, ``centroid_lat``: area-weighted centroid of all parts (for zoom/clicks);
  ``label_lon``, ``label_lat``: a point guaranteed inside the largest part (for text labels).
* ``n_points``: vertices kept.

Accepted files (property names matched case-insensitively):

* ICS: ICB July 2022 (``icb22cd`` [+ ``icb22cdh``, ``icb22nm``]), ICB April 2023 (``ICB23CD``/``ICB23CDH``),
  geographr style ``icb22_code``/``icb22_name``.
* STP: STP April 2021 (``stp21cd``/``stp21_code``, ``stp21nm``/``stp21_name``) -> Q-code via ``lib.data.geography``.
* region: NHS England regions (``nhser22cdh`` Y-code, ``nhser22cd`` E40 code, ``nhser22nm``).

Problems raise ``BoundaryFileError`` (a ``ValueError``) naming the file, the feature index, the property and what
was expected. Simplification is topology-aware: rings are cut at vertices where the set of systems sharing the
border changes, and each piece is simplified with Douglas-Peucker, so neighbouring systems keep identical
shared borders (no slivers or gaps). Pure Python + numpy.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from lib.data import geography

# England (with Isles of Scilly and a margin): anything outside is not lon/lat of an English boundary.
ENGLAND_BBOX = (-7.0, 49.5, 2.2, 56.0)  # min lon, min lat, max lon, max lat
LEVELS = ("ICS", "STP", "region")

DEFAULT_TOLERANCE = 0.003   # degrees (~200-330 m); the ONS BUC files are generalised to ~500 m already
DEFAULT_DECIMALS = 4        # ~7-11 m
DEFAULT_MIN_AREA_KM2 = 2.0  # islands / holes smaller than this are dropped (the largest part is always kept)


class BoundaryFileError(ValueError):
    """A boundary file that cannot be read as the expected ONS GeoJSON."""


# ------------------------------------------------------------------------------------------------ properties
# (role, regex on the lower-cased property name) per level, most specific first.
_PROPS: dict[str, list[tuple[str, str]]] = {
    "ICS": [("qcode", r"icb\d\dcdh"), ("code", r"icb\d\d_?(cd|code)"), ("name", r"icb\d\d_?(nm|name)")],
    "STP": [("qcode", r"stp\d\dcdh"), ("code", r"stp\d\d_?(cd|code)"), ("name", r"stp\d\d_?(nm|name)")],
    "region": [("qcode", r"nhser\d\dcdh"), ("code", r"nhser\d\d_?(cd|code)"), ("name", r"nhser\d\d_?(nm|name)")],
}
_EXPECT = {
    "ICS": "ICB properties such as icb22cd/icb22cdh/icb22nm (July 2022) or ICB23CD/ICB23CDH (April 2023)",
    "STP": "STP properties such as stp21cd or stp21_code (April 2021), stp21nm or stp21_name",
    "region": "NHS England region properties such as NHSER22CD/NHSER22CDH/NHSER22NM",
}
_UNITS = {"ICS": "the 42 ICBs", "STP": "the 42 STPs", "region": "the 7 NHS England regions"}
_CODE_KIND = {"ICS": ("an NHS Q-code", "an ONS E54 code (July 2022 or April 2023)", "QKK", "E54000030"),
              "STP": ("an NHS Q-code", "an ONS E54 code (April 2021)", "QKK", "E54000030"),
              "region": ("an NHS region code", "an ONS E40 code", "Y56", "E40000003")}


def _kind(level: str) -> str:
    """"region", or the store level ("ICS"/"STP") of a geography vintage key such as "ICS2026"."""
    return "region" if level == "region" else geography.store_level(level)


def _units(level: str) -> str:
    if level in _UNITS:
        return _UNITS[level]
    v = geography.vintage(level)
    return f"the {len(v.areas)} {v.title}"


def _expect_value(level: str, role: str) -> str:
    qkind, ckind, qex, cex = _CODE_KIND[_kind(level)]
    if level not in _CODE_KIND:
        ckind = f"an ONS E54 code ({geography.vintage(level).title})"
    if role == "qcode":
        return f"{qkind} of {_units(level)} (e.g. {qex})"
    if role == "code":
        return f"{ckind} of {_units(level)} (e.g. {cex})"
    return f"the name of one of {_units(level)}"


def _level_lookup(level: str) -> tuple[dict[str, str], dict[str, str]]:
    """(spelling -> code, code -> display name) for a level."""
    if level == "region":
        look = {}
        for y, name in geography.REGIONS.items():
            for k in (y, geography.REGION_ONS[y], name):
                look[k.strip().lower()] = y
        return look, dict(geography.REGIONS)
    a = geography.areas(level)  # this vintage's systems only (area_name_lookup spans every vintage of the level)
    return geography.area_lookup(level), dict(zip(a["code"], a["short_name"]))


def _resolve(value: object, level: str, lookup: dict[str, str]) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    if level == "region":
        return lookup.get(value.strip().lower())
    return geography.resolve_area(value, level)


def _find_props(props: dict, level: str) -> dict[str, str]:
    """role -> actual property name present in this feature."""
    found: dict[str, str] = {}
    for key in props:
        low = str(key).strip().lower()
        for role, pattern in _PROPS[_kind(level)]:
            if role not in found and re.fullmatch(pattern, low):
                found[role] = key
                break
    return found


# ------------------------------------------------------------------------------------------------ geometry
def _ring_area(r: np.ndarray) -> float:
    """Signed shoelace area in degrees^2 (closed ring)."""
    x, y = r[:, 0], r[:, 1]
    return float((x[:-1] * y[1:] - x[1:] * y[:-1]).sum() / 2.0)


def _km2(area_deg2: float, lat: float) -> float:
    return abs(area_deg2) * 111.32 ** 2 * math.cos(math.radians(lat))


def _douglas_peucker(pts: np.ndarray, tol: float) -> np.ndarray:
    """Keep-mask of Douglas-Peucker on an open polyline (endpoints always kept); iterative, numpy."""
    n = len(pts)
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        i, j = stack.pop()
        if j <= i + 1:
            continue
        a, b = pts[i], pts[j]
        seg = pts[i + 1:j]
        d = b - a
        norm = math.hypot(d[0], d[1])
        if norm == 0.0:
            dist = np.hypot(seg[:, 0] - a[0], seg[:, 1] - a[1])
        else:
            dist = np.abs(d[0] * (seg[:, 1] - a[1]) - d[1] * (seg[:, 0] - a[0])) / norm
        k = int(np.argmax(dist))
        if dist[k] > tol:
            m = i + 1 + k
            keep[m] = True
            stack.append((i, m))
            stack.append((m, j))
    return keep


def _key(p) -> tuple[float, float]:
    return (round(float(p[0]), 7), round(float(p[1]), 7))


def _simplify_rings(rings: list[np.ndarray], tol: float) -> list[np.ndarray]:
    """Simplify closed rings (arrays n x 2, first == last) keeping shared borders identical."""
    owners: dict[tuple[float, float], set[int]] = {}
    for ri, ring in enumerate(rings):
        for p in ring[:-1]:
            owners.setdefault(_key(p), set()).add(ri)
    out = []
    for ri, ring in enumerate(rings):
        pts = ring[:-1]
        n = len(pts)
        if n < 4 or tol <= 0:
            out.append(ring.copy())
            continue
        sets = [frozenset(owners[_key(p)]) for p in pts]
        node = np.array([sets[i] != sets[i - 1] or sets[i] != sets[(i + 1) % n] or len(sets[i]) > 2
                         for i in range(n)])
        if not node.any():
            # free ring (island or enclave): start at a canonical vertex so both sides agree
            start = min(range(n), key=lambda i: _key(pts[i]))
            node[start] = True
        starts = np.flatnonzero(node)
        # rotate so the ring starts at a node, then simplify each node-to-node piece
        s0 = int(starts[0])
        rot = np.vstack([pts[s0:], pts[:s0]])
        nodes = [int(s) - s0 for s in starts] + [n]
        ext = np.vstack([rot, rot[:1]])
        keep = np.zeros(n + 1, dtype=bool)
        for a, b in zip(nodes[:-1], nodes[1:]):
            keep[a:b + 1] |= _douglas_peucker(ext[a:b + 1], tol)
        if len(nodes) == 2:  # a single piece (only one node): also keep the farthest point so it stays a ring
            far = int(np.argmax(np.hypot(*(ext - ext[0]).T)))
            keep[far] = True
        out.append(ext[keep])
    return out


def _round_ring(ring: np.ndarray, decimals: int) -> np.ndarray | None:
    r = np.round(ring, decimals)
    if len(r) > 1:
        dup = np.all(r[1:] == r[:-1], axis=1)
        r = np.vstack([r[:1], r[1:][~dup]])
    if len(r) < 4 or not np.array_equal(r[0], r[-1]):
        return None
    return r


def _point_in_ring(x: float, y: float, ring: np.ndarray) -> bool:
    xs, ys = ring[:, 0], ring[:, 1]
    x1, y1, x2, y2 = xs[:-1], ys[:-1], xs[1:], ys[1:]
    crosses = (y1 > y) != (y2 > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        xint = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
    return bool(np.count_nonzero(crosses & (x < xint)) % 2)


def _label_point(poly: list[np.ndarray]) -> tuple[float, float]:
    """Centroid of the polygon if it is inside, else the middle of the widest horizontal run through it."""
    outer = poly[0]
    a = _ring_area(outer)
    x, y = outer[:, 0], outer[:, 1]
    c = x[:-1] * y[1:] - x[1:] * y[:-1]
    cx = float(((x[:-1] + x[1:]) * c).sum() / (6 * a)) if a else float(x.mean())
    cy = float(((y[:-1] + y[1:]) * c).sum() / (6 * a)) if a else float(y.mean())
    inside = lambda px, py: _point_in_ring(px, py, outer) and not any(_point_in_ring(px, py, h) for h in poly[1:])
    if inside(cx, cy):
        return cx, cy
    best = (0.0, cx, cy)
    for frac in np.linspace(0.1, 0.9, 17):
        yy = float(y.min() + frac * (y.max() - y.min()))
        xs = []
        for ring in poly:
            x1, y1, x2, y2 = ring[:-1, 0], ring[:-1, 1], ring[1:, 0], ring[1:, 1]
            m = (y1 > yy) != (y2 > yy)
            xs.extend((x1[m] + (yy - y1[m]) * (x2[m] - x1[m]) / (y2[m] - y1[m])).tolist())
        xs.sort()
        for lo, hi in zip(xs[0::2], xs[1::2]):
            if hi - lo > best[0]:
                best = (hi - lo, (lo + hi) / 2, yy)
    return best[1], best[2]


# ------------------------------------------------------------------------------------------------ reading
def _fail(path: Path, msg: str) -> BoundaryFileError:
    return BoundaryFileError(f"{path}: {msg}")


def _check_coords(path: Path, idx: int, prop_desc: str, ring: np.ndarray) -> None:
    lon_lo, lat_lo, lon_hi, lat_hi = ENGLAND_BBOX
    xmin, ymin = ring.min(axis=0)
    xmax, ymax = ring.max(axis=0)
    if lon_lo <= xmin and xmax <= lon_hi and lat_lo <= ymin and ymax <= lat_hi:
        return
    first = f"[{ring[0, 0]:g}, {ring[0, 1]:g}]"
    if xmax > 1000 or ymax > 1000:
        hint = ("these look like projected metres (e.g. British National Grid EPSG:27700 eastings/northings); "
                "re-export the file as WGS84 / CRS84 longitude-latitude")
    elif lat_lo <= xmin and xmax <= lat_hi and lon_lo <= ymin and ymax <= lon_hi:
        hint = "these look like [lat, lon]; GeoJSON positions are [lon, lat]"
    else:
        hint = "they fall outside England"
    raise _fail(path, f"feature {idx} ({prop_desc}): geometry.coordinates start {first}; expected WGS84 "
                      f"[longitude, latitude] within England (lon {lon_lo}..{lon_hi}, lat {lat_lo}..{lat_hi}); {hint}")


def _polygons_of(path: Path, idx: int, prop_desc: str, geom: object) -> list[list[np.ndarray]]:
    if not isinstance(geom, dict) or "type" not in geom:
        raise _fail(path, f"feature {idx} ({prop_desc}): geometry is missing or null; expected a Polygon or "
                          "MultiPolygon")
    gtype = geom.get("type")
    if gtype == "GeometryCollection":
        out = []
        for g in geom.get("geometries") or []:
            out.extend(_polygons_of(path, idx, prop_desc, g))
        return out
    coords = geom.get("coordinates")
    if gtype == "Polygon":
        polys = [coords]
    elif gtype == "MultiPolygon":
        polys = coords
    else:
        raise _fail(path, f"feature {idx} ({prop_desc}): geometry.type is {gtype!r}; expected Polygon or MultiPolygon")
    out = []
    try:
        for poly in polys:
            rings = []
            for ring in poly:
                arr = np.asarray(ring, dtype=float)
                if arr.ndim != 2 or arr.shape[1] < 2 or len(arr) < 3:
                    raise ValueError("bad ring")
                arr = arr[:, :2]
                if not np.isfinite(arr).all():
                    raise ValueError("non-finite")
                if not np.array_equal(arr[0], arr[-1]):
                    arr = np.vstack([arr, arr[:1]])
                rings.append(arr)
            if rings:
                out.append(rings)
    except (TypeError, ValueError):
        raise _fail(path, f"feature {idx} ({prop_desc}): geometry.coordinates are not {gtype} rings of numeric "
                          "[lon, lat] positions") from None
    for poly in out:
        for ring in poly:
            _check_coords(path, idx, prop_desc, ring)
    return out


def _load_json(path: Path) -> dict:
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise BoundaryFileError(f"{path}: cannot read file ({exc.strerror or exc})") from None
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise _fail(path, f"not valid JSON{where}: {exc.msg if hasattr(exc, 'msg') else exc}; expected a GeoJSON "
                          "FeatureCollection") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(
            data.get("features"), list):
        got = data.get("type") if isinstance(data, dict) else type(data).__name__
        raise _fail(path, f"top-level type is {got!r}; expected a GeoJSON FeatureCollection with a 'features' list")
    crs = json.dumps(data.get("crs") or "")
    if re.search(r"27700|OSGB", crs, re.I):
        raise _fail(path, f"crs is {crs}: British National Grid; expected WGS84 / CRS84 longitude-latitude "
                          "(re-export with EPSG:4326)")
    return data


def read_boundaries(path: str | Path, level: str = "ICS", *, tolerance: float = DEFAULT_TOLERANCE,
                    decimals: int = DEFAULT_DECIMALS, min_area_km2: float = DEFAULT_MIN_AREA_KM2,
                    require_all: bool = True) -> pd.DataFrame:
    """Read an ONS GeoJSON of ICBs ("ICS"), STPs ("STP") or NHS England regions ("region").

    Returns one row per system (columns described in the module docstring), sorted by code. ``df.attrs`` holds
    ``bytes_before`` / ``bytes_after`` (compact JSON of all coordinates before and after simplification),
    ``points_before`` / ``points_after`` and ``source``. ``tolerance=0`` with ``decimals=7`` keeps the geometry
    essentially as published. Several features for one system are merged; ``require_all=False`` accepts a file
    covering only some systems.
    """
    path = Path(path)
    if level not in LEVELS and level not in geography.VINTAGES:
        raise ValueError(f"unknown geography level {level!r}: expected one of {', '.join(LEVELS)} or a geography "
                         f"vintage ({', '.join(geography.VINTAGES)})")
    data = _load_json(path)
    lookup, names = _level_lookup(level)
    parts: dict[str, list[list[np.ndarray]]] = {}
    if not data["features"]:
        raise _fail(path, "the FeatureCollection has no features")
    for idx, feat in enumerate(data["features"]):
        if not isinstance(feat, dict) or feat.get("type") != "Feature":
            raise _fail(path, f"feature {idx}: is not a GeoJSON Feature")
        props = feat.get("properties") or {}
        if not isinstance(props, dict):
            raise _fail(path, f"feature {idx}: properties is not an object")
        found = _find_props(props, level)
        if not found:
            have = ", ".join(map(str, props)) or "none"
            raise _fail(path, f"feature {idx}: no {level} code property (properties: {have}); expected "
                              f"{_EXPECT[_kind(level)]}")
        code = None
        for role in ("qcode", "code", "name"):
            if role not in found:
                continue
            key = found[role]
            value = props[key]
            got = _resolve(value, level, lookup)
            if got is None:
                raise _fail(path, f"feature {idx}: property {key!r} = {value!r} is not a known {level} "
                                  f"{'region' if level == 'region' else 'system'}; expected {_expect_value(level, role)}")
            if code is None:
                code = got
            elif got != code and role != "name":
                raise _fail(path, f"feature {idx}: property {key!r} = {value!r} means {got} but "
                                  f"{found['qcode']!r} = {props[found['qcode']]!r} means {code}; expected codes "
                                  "of the same system")
        desc = f"{found.get('qcode') or found.get('code') or found.get('name')}={code}"
        parts.setdefault(code, []).extend(_polygons_of(path, idx, desc, feat.get("geometry")))
    expected = set(names)
    if require_all and set(parts) != expected:
        missing = sorted(expected - set(parts))
        raise _fail(path, f"{len(missing)} of {len(expected)} {level} systems missing: "
                          + ", ".join(f"{c} {names[c]}" for c in missing)
                          + f"; expected all {len(expected)}")
    return _simplify_frame(parts, names, path, tolerance, decimals, min_area_km2)


def _simplify_frame(parts: dict[str, list[list[np.ndarray]]], names: dict[str, str], path: Path,
                    tolerance: float, decimals: int, min_area_km2: float) -> pd.DataFrame:
    # flatten every ring of every system so shared borders are simplified once, consistently
    flat: list[np.ndarray] = []
    index: list[tuple[str, int, int]] = []
    for code, polys in parts.items():
        for pi, poly in enumerate(polys):
            for ri, ring in enumerate(poly):
                flat.append(ring)
                index.append((code, pi, ri))
    before = _coords_bytes([[r.tolist()] for r in flat])
    simp = _simplify_rings(flat, tolerance)
    rebuilt: dict[str, dict[int, dict[int, np.ndarray]]] = {}
    for (code, pi, ri), ring in zip(index, simp):
        r = _round_ring(ring, decimals)
        if r is not None and abs(_ring_area(r)) > 0:
            rebuilt.setdefault(code, {}).setdefault(pi, {})[ri] = r
    rows = []
    for code in sorted(parts):
        polys_in = rebuilt.get(code, {})
        polys: list[list[np.ndarray]] = []
        for pi in sorted(polys_in):
            rings = polys_in[pi]
            if 0 not in rings:
                continue
            outer = rings[0]
            lat = float(outer[:, 1].mean())
            if _ring_area(outer) < 0:  # GeoJSON (RFC 7946): outer rings counter-clockwise
                outer = outer[::-1]
            poly = [outer]
            for ri in sorted(k for k in rings if k):
                h = rings[ri]
                if _km2(_ring_area(h), lat) >= min_area_km2:
                    poly.append(h if _ring_area(h) < 0 else h[::-1])
            polys.append(poly)
        if not polys:  # everything collapsed: fall back to the unsimplified largest part
            big = max(parts[code], key=lambda p: abs(_ring_area(p[0])))
            polys = [[np.round(big[0], decimals)]]
        areas = [_km2(_ring_area(p[0]), float(p[0][:, 1].mean())) for p in polys]
        largest = int(np.argmax(areas))
        polys = [p for i, (p, a) in enumerate(zip(polys, areas)) if i == largest or a >= min_area_km2]
        # area-weighted centroid over all parts (holes subtract)
        tot = sx = sy = 0.0
        for poly in polys:
            for ring in poly:
                a = _ring_area(ring)
                if a == 0:
                    continue
                x, y = ring[:, 0], ring[:, 1]
                c = x[:-1] * y[1:] - x[1:] * y[:-1]
                sx += ((x[:-1] + x[1:]) * c).sum() / 6
                sy += ((y[:-1] + y[1:]) * c).sum() / 6
                tot += a
        big = max(polys, key=lambda p: abs(_ring_area(p[0])))
        lx, ly = _label_point(big)
        rows.append({
            "code": code, "name": names[code],
            "polygons": [[r.tolist() for r in poly] for poly in polys],
            "centroid_lon": round(sx / tot, 5), "centroid_lat": round(sy / tot, 5),
            "label_lon": round(lx, 5), "label_lat": round(ly, 5),
            "n_points": int(sum(len(r) for poly in polys for r in poly)),
        })
    df = pd.DataFrame(rows)
    df.attrs.update({
        "source": str(path),
        "bytes_before": before,
        "bytes_after": _coords_bytes(df["polygons"].tolist()),
        "points_before": int(sum(len(r) for r in flat)),
        "points_after": int(df["n_points"].sum()),
    })
    return df


def _coords_bytes(polys: list) -> int:
    return len(json.dumps(polys, separators=(",", ":")).encode())


# ------------------------------------------------------------------------------------------------ outputs
def explode_polygons(df: pd.DataFrame) -> pd.DataFrame:
    """One row per part for pydeck ``PolygonLayer(get_polygon="polygon")``: all columns but ``polygons``, plus
    ``polygon`` (list of rings; deck.gl treats rings after the first as holes)."""
    out = df.drop(columns=["polygons"]).loc[df.index.repeat(df["polygons"].map(len))].reset_index(drop=True)
    out["polygon"] = [poly for polys in df["polygons"] for poly in polys]
    return out


def to_geojson(df: pd.DataFrame, extra: list[str] | None = None) -> dict:
    """FeatureCollection (MultiPolygon per system) with properties code, name and any ``extra`` columns."""
    cols = ["code", "name"] + [c for c in (extra or []) if c in df.columns]
    feats = []
    for rec in df.to_dict("records"):
        props = {c: (None if isinstance(rec[c], float) and math.isnan(rec[c]) else rec[c]) for c in cols}
        feats.append({"type": "Feature", "properties": props,
                      "geometry": {"type": "MultiPolygon", "coordinates": rec["polygons"]}})
    return {"type": "FeatureCollection", "features": feats}


def centroids(df: pd.DataFrame) -> pd.DataFrame:
    """code, name, lon, lat of the label point (inside the system) - for TextLayer labels and click targets."""
    return df[["code", "name", "label_lon", "label_lat"]].rename(columns={"label_lon": "lon", "label_lat": "lat"})


def view_state(df: pd.DataFrame) -> dict:
    """Suggested pydeck ViewState keyword arguments framing the boundaries."""
    lons = [p[0] for polys in df["polygons"] for poly in polys for p in poly[0]]
    lats = [p[1] for polys in df["polygons"] for poly in polys for p in poly[0]]
    span_x = max(lons) - min(lons)
    merc = lambda la: math.degrees(math.log(math.tan(math.pi / 4 + math.radians(la) / 2)))
    span_y = merc(max(lats)) - merc(min(lats))
    zoom = math.log2(600 * 360 / (512 * max(span_x, span_y, 1e-6)))
    return {"longitude": round((min(lons) + max(lons)) / 2, 4), "latitude": round((min(lats) + max(lats)) / 2, 4),
            "zoom": round(zoom, 2), "pitch": 0, "bearing": 0}
