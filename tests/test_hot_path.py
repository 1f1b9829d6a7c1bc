"""Compute only what is shown (issue 16): the SPC inside a collapsed expander is not built, opening it builds it;
chart rows cached as Arrow bytes reach the PNG/SVG download unchanged."""
from __future__ import annotations

import pandas as pd

from tests.conftest import open_app_page


def spc_specs(at) -> list[str]:
    return [e.proto.spec for e in at.get("vega_lite_chart") if '"Upper limit"' in e.proto.spec]


def test_turnover_spc_built_only_when_its_expander_is_open():
    at = open_app_page("views/turnover.py", {"area": "QKK", "group": "Midwives"})
    assert spc_specs(at) == []  # collapsed: nothing built or sent
    at.session_state["turnover_spc_open"] = True  # the expander's own state (key), as a click sets it
    at.run()
    assert not at.exception
    specs = spc_specs(at)
    assert len(specs) == 1 and "Midwives" in specs[0]


def test_cached_chart_rows_round_trip_to_the_download_spec():
    """A chart cached with its rows as Arrow bytes (trend_charts.frozen) gives the PNG/SVG renderer the same rows."""
    from ui import trend_charts
    series = pd.DataFrame({"period": ["2025-10", "2025-11", "2025-10", "2025-11"], "area_code": ["QKK"] * 2 + ["ENG"] * 2,
                           "series": ["South East London"] * 2 + ["England"] * 2, "role": ["System"] * 2 + ["England"] * 2,
                           "measure": ["Leaver rate"] * 4, "value": [0.011, float("nan"), 0.009, 0.0095]})
    spec = trend_charts.trend_chart(series, "Leaver rate", selected="2025-11")
    frozen = trend_charts.frozen(spec)
    assert all(isinstance(v, bytes) for v in frozen["datasets"].values())
    assert trend_charts._json_ready(frozen) == trend_charts._json_ready(spec)
    rows = trend_charts._json_ready(frozen)["datasets"]["lines"]
    assert [r["value"] for r in rows] == [0.011, 0.009, 0.0095]  # the blank month is left out, not drawn as 0
    assert trend_charts._json_ready(frozen)["datasets"]["selected"] == [{"month": "2025-11-01T00:00:00",
                                                                        "label": "Chosen period"}]


def test_system_tables_built_only_on_request():
    """Turnover and Vacancies send their 42-row system table only when it is opened (issue 16); opened, every
    system is there with its downloads, and it stays open when the selection changes."""
    from ui import on_request
    for page, key, column in (("views/turnover.py", on_request.TURNOVER_TABLE, "Leavers (FTE)"),
                              ("views/vacancy.py", on_request.VACANCY_TABLE, "Vacancy rate")):
        at = open_app_page(page, {"area": "QKK", "group": "Midwives"})
        assert not [d for d in at.dataframe if column in d.value.columns], page
        assert any(t.label == on_request.TABLE_LABEL and not t.value for t in at.toggle), page
        at.session_state[key] = True  # as switching the toggle on sets it
        at.run()
        assert not at.exception
        t = next(d.value for d in at.dataframe if column in d.value.columns)
        assert len(t) == 42 and set(t.get("Staff group", ["Midwives"])) == {"Midwives"}
        assert "Every system, month ending Nov 2025: Midwives" in [h.value for h in at.subheader]
        at.selectbox(key="url_group").set_value("Nurses & health visitors").run()
        assert not at.exception
        t2 = next(d.value for d in at.dataframe if column in d.value.columns)  # still open, for the new group
        assert len(t2) == 42 and not t2.equals(t)
        assert "Every system, month ending Nov 2025: Nurses & health visitors" in [h.value for h in at.subheader]


def test_role_mix_group_change_reruns_only_its_section():
    """Following another staff group reruns only the group's chart and SPC fragment: the every-system heatmap and
    tables are not re-sent (AppTest then holds just that fragment's elements, as the browser keeps the rest)."""
    at = open_app_page("views/role_mix.py", {"area": "QKK", "group": "Midwives"})
    n_tables = len(at.dataframe)
    assert n_tables >= 2
    at.selectbox(key="url_group").set_value("Nurses & health visitors").run()
    assert not at.exception
    assert len(at.dataframe) == 0  # the tables were not rebuilt or re-sent
    assert any(m.value == "**Nurses & health visitors: share of FTE over time**" for m in at.markdown)
    specs = [e.proto.spec for e in at.get("vega_lite_chart")]
    assert len(specs) == 1  # the group's chart, its key figures in the caption under it
    assert any(str(c.value).startswith("Nurses & health visitors share of FTE") for c in at.caption)
    assert at.query_params["group"] in (["Nurses & health visitors"], "Nurses & health visitors")
    at.run()  # a full rerun draws the whole page again with the new group
    assert len(at.dataframe) == n_tables


def _specs_without_rows(at) -> list[dict]:
    import json
    out = []
    for e in at.get("vega_lite_chart"):
        s = json.loads(e.proto.spec)
        s.pop("datasets", None)
        out.append(s)
    return out


def test_a_new_selection_changes_chart_rows_only_never_specs():
    """Redraw only what changed: Turnover's and Vacancies' charts keep one spec across staff groups and periods, so
    the browser swaps rows into the drawn charts. (Key figures in a spec's description changed it on every
    selection and rebuilt every chart; they are in the caption, the spec says so in fixed words.)"""
    from ui.charts import CAPTIONED
    for page, a, b in (("views/turnover.py", {"area": "QKK", "group": "Midwives"},
                        {"area": "QKK", "group": "Nurses & health visitors"}),
                       ("views/turnover.py", {"area": "QKK", "period": "2025-10"}, {"area": "QKK", "period": "2025-11"}),
                       ("views/vacancy.py", {"area": "QKK", "group": "Midwives"},
                        {"area": "QKK", "group": "Nurses & health visitors"})):
        before, after = _specs_without_rows(open_app_page(page, a)), _specs_without_rows(open_app_page(page, b))
        assert before and before == after, page
        assert all(s.get("description") == CAPTIONED for s in before), page


def test_profile_system_or_group_change_keeps_every_chart_spec():
    """System profile (issue 16): a new system or staff group sends the same five specs (trends grid, two SPC
    charts, bridge, role mix) with new rows, so the browser swaps rows into the drawn charts. No area name and no
    figure is inside a spec (they are in the rows and the captions); the rows do change."""
    import json

    import pyarrow as pa

    from ui.charts import CAPTIONED

    def charts(params: dict) -> tuple[list[dict], list[dict]]:
        at = open_app_page("views/profile.py", params)
        assert not at.exception
        rows = [{d.name: pa.ipc.open_stream(d.data.data).read_all().to_pandas() for d in e.proto.datasets}
                for e in at.get("vega_lite_chart")]
        return _specs_without_rows(at), rows

    qkk, qkk_rows = charts({"area": "QKK", "group": "All staff groups"})
    assert len(qkk) == 5 and all(s.get("description") == CAPTIONED for s in qkk)
    assert "South East London" not in json.dumps(qkk) and "QKK" not in json.dumps(qkk)
    # the system's name reaches the legend as data: the trends' first series and the role mix's system bars
    assert set(qkk_rows[0]["trends"]["series"]) == {"South East London", "London", "England"}
    assert set(qkk_rows[-1]["mix"]["series"]) == {"South East London", "England"}
    for other in ({"area": "QMJ", "group": "All staff groups"}, {"area": "QKK", "group": "Midwives"}):
        specs, rows = charts(other)
        assert specs == qkk, other
        for before, after in zip(qkk_rows, rows):  # the figures did change: they travel as rows
            assert before.keys() == after.keys()
            main = next(iter(before))
            if main == "mix" and other["area"] == "QKK":  # the role mix shows every group: same for any group
                assert before[main].equals(after[main])
            else:
                assert not before[main].equals(after[main]), (other, main)
