"""What the board pack says, as plain data: sections of sentences, tables and charts, in the order a board reads
(issue 26). Every figure comes from the function the page that shows it calls:

- headline figures, ranks, trends, role mix: lib.insight.map_data (System profile), over the metrics frame the app
  builds (lib.insight.disclosure_plan.page_metrics, as ui.data._metrics: under disclosure control the cells the
  store's joint plan hides in every table a viewer can reach, the organisation table and bridges included);
- the bridge: lib.insight.bridge.staff_in_post_bridge (ui.inside.bridge); SPC: lib.stats.signals.spc_view;
- organisations: lib.insight.organisations (Organisations page); sickness: lib.insight.sickness (Sickness page);
- scenarios: lib.whatif.studio (the what-if studio's baseline, run, headline, comparison) and
  lib.insight.bridge.whatif_bridge ("Why it differs");
- every chart's sentence: lib.insight.chart_text.

Nothing here lays out a page (lib/report/render.py does) or draws (lib/report/charts.py builds the specs).
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from lib.data import footprint, geography, loader
from lib.data.schema import ALL_STAFF, month_add, period_label
from lib.insight import bridge as br
from lib.insight import calendar, chart_text, disclosure_plan, provenance
from lib.insight import map_data as im
from lib.insight import organisations as og
from lib.insight import sickness as sk
from lib.insight.metrics import DEFINITIONS
from lib.report import charts
from lib.stats import signals

SECTIONS = [  # (id, title): the order a board reads
    ("headlines", "Headline figures"),
    ("staff", "Staff in post and why it moved"),
    ("flows", "Leavers and joiners"),
    ("vacancies", "Vacancies"),
    ("mix", "Role mix against England and similar systems"),
    ("sickness", "Sickness absence"),
    ("organisations", "The organisations of the system"),
    ("primary_care", "Primary care: new roles"),
    ("scenarios", "Scenarios"),
    ("methods", "Definitions, methods and disclosure control"),
]
SECTION_TITLES = dict(SECTIONS)
PROVISIONAL_MONTHS = 12  # fewer loaded months than a year: rates rest on few months (as the what-if baseline says)
SYNTHETIC_MARK = "SYNTHETIC DEMO DATA - not real figures"
BRIDGE_LEGEND = {"total": "Staff in post", "decrease": "Leavers / fall", "increase": "Joiners / rise",
                 "residual": "Other changes: hours, regrading (not a published flow)"}  # ui.profile_view.BRIDGE_KINDS
WHATIF_LEGEND = {"total": "Staff in post (FTE)", "decrease": "Lever lowers FTE", "increase": "Lever raises FTE",
                 "residual": "Other"}
TERMS = {"fte": "Staff in post (FTE)", "headcount": "Headcount", "leaver_rate": "Leaver rate",
         "joiner_rate": "Joiner rate",
         "vacancy_rate": "Vacancy rate", "fte_share": "Role mix (share of FTE)", "fte_growth": "FTE growth",
         "fte_per_100k": "FTE per 100,000 population"}
ORG_LIMIT = 25  # organisations listed (a system has 5-20; more would not fit one page without cutting)


class PackError(ValueError):
    """A pack cannot be built for this question (no data, unknown system or month); the message says why."""


# ------------------------------------------------------------------------------------------------ inputs
@dataclass
class StoreFigures:
    """What every pack of one store, footprint and month reads, loaded once (--area all shares it)."""
    data_dir: str
    key: str                      # geography key (ICS, ICS2026, STP)
    period: str
    periods: list[str]
    metrics: pd.DataFrame         # every month, area, region, England, staff group (the app's frame)
    frame: pd.DataFrame           # canonical rows of the month (bridge, organisations)
    sickness: pd.DataFrame        # sickness rows (empty when none are loaded)
    prov: dict
    population: dict[str, float]
    disclosure: bool
    org_metrics: pd.DataFrame | None = None
    org_problem: str | None = None
    spare: dict = field(default_factory=dict)

    def plan(self):
        """The store's joint disclosure plan (read once; lib.insight.disclosure_plan.viewer_plan)."""
        if "plan" not in self.spare:
            self.spare["plan"] = disclosure_plan.viewer_plan(self.data_dir, self.key)
        return self.spare["plan"]


def population(data_dir, key: str) -> dict[str, float]:
    """ONS population by area as the app reads it (one reading: lib.data.pcn_store.population_by_area)."""
    from lib.data import pcn_store
    return pcn_store.population_by_area(data_dir, key)


def load_metrics(data_dir, key: str, sdc: bool) -> pd.DataFrame:
    """The app's metrics frame (ui.data._metrics, the same routine): every month, staff group, region and England;
    vacancy rates only where figures cover the staff in post; under disclosure control the cells the store's joint
    plan hides (lib.insight.disclosure_plan), as the pages hide them."""
    return disclosure_plan.page_metrics(data_dir, key, None, "fte", disclosure_plan.viewer_plan(data_dir, key)
                                        if sdc else None)


def load_store(data_dir, period: str | None, footprint_choice: str | None = None, level: str = "ICS",
               sdc: bool = False) -> StoreFigures:
    """Load once what the packs of one store and month need (the CLI); PackError names what is missing."""
    data_dir = str(data_dir)
    periods = loader.available_periods(data_dir, level)
    if not periods:
        raise PackError(f"no {level} data in {data_dir}; ingest files first (python -m lib ingest FILE --data-dir DIR)")
    period = period or periods[-1]
    if period not in periods:
        raise PackError(f"--period {period!r} is not loaded at {level} level; loaded: {periods[0]} to {periods[-1]} "
                        f"({len(periods)} months)")
    try:
        key = footprint.footprint_key(level, footprint_choice, period)
    except ValueError as exc:
        raise PackError(f"--footprint: {exc}") from None
    return store_for(data_dir, key, period, periods, sdc)


def store_for(data_dir, key: str, period: str, periods: list[str], sdc: bool,
              metrics: pd.DataFrame | None = None) -> StoreFigures:
    """The store's figures on geography key `key` for `period`. `metrics`: the app's cached frame for the same
    store and disclosure setting (ui.data.metrics_for), so the pack a page offers shows the page's figures."""
    data_dir = str(data_dir)
    m = load_metrics(data_dir, key, sdc) if metrics is None else metrics
    frame = footprint.load_frame(data_dir, key, periods=[period])
    try:
        sick = footprint.load_sickness(data_dir, key)
    except (ValueError, OSError):
        sick = pd.DataFrame()
    store = StoreFigures(data_dir, key, period, list(periods), m, frame, sick, loader.provenance(data_dir),
                         population(data_dir, key), sdc)
    try:
        om = og.org_metrics(frame, level=key)
        store.org_metrics = disclosure_plan.shown(om, store.plan(), "org") if sdc else om
    except og.NoOrganisations as exc:
        store.org_problem = str(exc)
    return store


# ------------------------------------------------------------------------------------------------ blocks
def text(t: str) -> dict:
    return {"kind": "text", "text": t}


def note(t: str) -> dict:
    return {"kind": "note", "text": t}


def subheading(t: str) -> dict:
    return {"kind": "subheading", "text": t}


def table(columns: list[str], rows: list[list[str]], align: list[str] | None = None, caption: str = "") -> dict:
    return {"kind": "table", "columns": columns, "rows": rows,
            "align": align or ["left"] + ["right"] * (len(columns) - 1), "caption": caption}


def chart(spec: dict, sentence: str, title: str) -> dict:
    """A chart and the sentence stating its key figures (shown beside it, and the image's alternative text)."""
    return {"kind": "chart", "spec": spec, "text": sentence, "title": title,
            "alt": f"Chart: {title}. {sentence}".strip()}


def _num(x) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) or pd.isna(x) else float(x)


def _count_text(x, digits: int = 1) -> str:
    v = _num(x)
    return "no data" if v is None else f"{v:,.{digits}f}"


# ------------------------------------------------------------------------------------------------ sections
def cover(store: StoreFigures, area: str, names: dict[str, str], scenarios: list) -> dict:
    region = geography.REGIONS.get(geography.area_lookup_regions(store.key).get(area, ""), "")
    synthetic = bool(store.prov.get("synthetic"))
    months = [p for p in store.periods if p <= store.period]
    provisional = len(months) < PROVISIONAL_MONTHS
    lines = [f"{names[area]} ({area})", f"{region} region" if region else "",
             f"{geography.vintage(store.key).title}", f"Month ending {period_label(store.period)}"]
    return {"system": names[area], "code": area, "region": region, "period": store.period,
            "period_label": period_label(store.period), "systems_label": geography.vintage(store.key).title,
            "source": provenance.source_statement(store.prov), "synthetic": synthetic,
            "provisional": provisional,
            "provisional_text": (f"Provisional: {len(months)} month{'s' if len(months) != 1 else ''} loaded "
                                 f"({provenance.month_span(months)}), fewer than 12. Trends and SPC readings rest on "
                                 "few months; no change over 12 months can be shown; scenario baselines are "
                                 "annualised from these months." if provisional else ""),
            "disclosure": store.disclosure,
            "generated": f"{dt.date.today():%-d %b %Y}",
            "lines": [x for x in lines if x],
            "scenarios": len(scenarios)}


def headline_section(store: StoreFigures, area: str, names: dict[str, str]) -> list[dict]:
    """The profile's headline figures (im.profile_figures) with their comparison months named, and the ranks."""
    period = store.period
    i = store.periods.index(period)
    previous = store.periods[i - 1] if i > 0 else None
    year_ago = month_add(period, -12) if month_add(period, -12) in store.periods else None
    figs = im.profile_figures(store.metrics, area, period, previous, year_ago, ALL_STAFF)
    prev_col = f"Change since {period_label(previous)}" if previous else "Change since previous month"
    year_col = f"Change since {period_label(year_ago)}" if year_ago else "Change since 12 months earlier"
    rows = [[f.label, f.value_text, f.change_previous_text or ("not loaded" if previous is None else "no data"),
             f.change_year_text or ("not loaded" if year_ago is None else "no data"), f.england_text] for f in figs]
    out = [{"kind": "figures", "items": [{"label": f.label, "value": f.value_text,
                                          "sub": f"{f.change_previous_text} since {period_label(previous)}"
                                          if previous and f.change_previous_text else ""} for f in figs]},
           table(["Figure", f"{period_label(period)}", prev_col, year_col, "England"], rows,
                 caption=f"All staff groups, month ending {period_label(period)}. Rates are monthly, FTE basis; "
                         "changes in rates are percentage points."),
           ]
    if any(f.column == "vacancy_rate" and _num(f.value) is not None for f in figs):   # as the profile shows it
        out.append(note(calendar.own_date_line(calendar.VACANCIES, period, calendar.VACANCY_TEMPLATE_SOURCE)))
    missing = [t for t, p in ((f"the previous month ({period_label(month_add(period, -1))})", previous),
                              (f"12 months earlier ({period_label(month_add(period, -12))})", year_ago)) if p is None]
    if missing:
        out.append(note("Not loaded, so no change is shown: " + " and ".join(missing) + "."))
    ranks = im.rank_sentences(store.metrics, store.key, period, area, ALL_STAFF, store.population)
    if len(ranks):
        out.append(subheading("Where it ranks"))
        out.append(table(["Measure", "Value", "Rank (1 = highest)"],
                         [[r.label, r.value_text, r.phrase if pd.notna(r.rank) else "no figures, not ranked"]
                          for r in ranks.itertuples()],
                         align=["left", "right", "left"],
                         caption=f"Among the {geography.vintage(store.key).title} with figures for "
                                 f"{period_label(period)}."))
    return out


def _series_rows(tr: pd.DataFrame, measure_label: str) -> pd.DataFrame:
    t = tr[tr["measure"] == measure_label].dropna(subset=["value"])
    first = tr["series"].iloc[0] if len(tr) else None
    order = [0 if s == first else 2 if s == "England" else 1 for s in t["series"]]
    return pd.DataFrame({"month": t["period"].astype(str).to_numpy(), "series": t["series"].astype(str).to_numpy(),
                         "order": order, "value": t["value"].astype(float).to_numpy()})


def _trend_sentence(rows: pd.DataFrame, title: str, period: str, percent: bool) -> str:
    roles = rows.assign(role=rows["order"].map({0: "System", 1: "Region", 2: "England"}),
                        period=rows["month"])
    return chart_text.trend_description(roles, title, percent=percent, period=period)


def staff_section(store: StoreFigures, area: str, names: dict[str, str]) -> list[dict]:
    """Staff in post over the loaded months (index, with region and England) and the bridge from the month
    before (the profile's 'Why staff in post moved')."""
    out: list[dict] = []
    tr = im.trends(store.metrics, area, ALL_STAFF)
    label = dict(im.TREND_MEASURES)["fte"]
    rows = _series_rows(tr, label) if len(tr) else pd.DataFrame()
    if len(rows):
        sentence = _trend_sentence(rows, "Staff in post FTE (index, first loaded month = 100)", store.period, False)
        out.append(chart(charts.series_lines(rows, None, ",.2~f", "Index"), sentence,
                         "Staff in post FTE, index (first loaded month = 100)"))
    i = store.periods.index(store.period)
    if i == 0:
        out.append(note("The bridge needs the month before the chosen one: only one month is loaded."))
        return out
    previous = store.periods[i - 1]
    try:
        b = br.staff_in_post_bridge(store.frame, area, previous, store.period, ALL_STAFF, "fte")
    except (ValueError, br.BridgeError) as exc:
        out.append(note(f"No bridge: {exc}"))
        return out
    if store.disclosure and disclosure_plan.bridge_disclosive(b, store.plan(), store.key):
        # as the System profile: a flow under 5, or a figure the joint plan hides in the tables
        out.append(note("The bridge is not shown: disclosure control hides one of its figures."))
        return out
    title = f"Why staff in post moved, {names[area]}, {period_label(previous)} to {period_label(store.period)}"
    sentence = chart_text.bridge_description(b.table, title, "FTE")
    out.append(chart(charts.waterfall(b.table, "FTE", BRIDGE_LEGEND), sentence,
                     f"Staff-in-post bridge, {period_label(previous)} to {period_label(store.period)} (FTE)"))
    out.append(table(["Step", "Change (FTE)", "Running total (FTE)"],
                     [[r.label, f"{r.value:+,.1f}" if r.kind != "total" else f"{r.value:,.1f}",
                       f"{r.cumulative:,.1f}"] for r in b.table.itertuples()]))
    for n in b.notes:
        out.append(note(n))
    return out


def _spc_or_run(store: StoreFigures, area: str, key: str) -> list[dict]:
    """The profile's chart of one rate (ui.profile_view.spc_parts): the XmR chart from 12 months, a run chart
    below (lib.stats.signals.chart_view), its sentence and its reading in words; or why neither can be drawn."""
    m = signals.measure(key)
    fmt = ".2%"
    title = f"{m.label}: {geography.area_names(store.key).get(area, area)}, {ALL_STAFF}"
    try:
        view = signals.chart_view(store.metrics, area, ALL_STAFF, key, until=store.period)
    except signals.SignalError as exc:
        return [text(f"No SPC or run chart: {exc}")]
    if isinstance(view, signals.RunView):
        sentence = chart_text.run_chart_description(view.chart, view.summary, title, percent=m.is_rate,
                                                    verdicts=signals.VERDICT, rule_words=signals.rule_words)
        return [chart(charts.run(view.chart, None, fmt), sentence, f"{m.label}: run chart")] + \
            [text(f"Reading: {n}") for n in view.notes]
    sentence = chart_text.spc_description(view.chart, view.summary, title, percent=m.is_rate,
                                          verdicts=signals.VERDICT, rule_words=signals.rule_words)
    return [chart(charts.spc(view.chart, None, fmt), sentence, f"{m.label}: SPC chart")] + \
        [note(n) for n in view.notes]


def _rate_lines(store: StoreFigures, area: str, key: str) -> list[dict]:
    """The rate for the system, its region and England over the loaded months (the profile's trend panel)."""
    tr = im.trends(store.metrics, area, ALL_STAFF)
    label = dict(im.TREND_MEASURES)[key]
    rows = _series_rows(tr, label) if len(tr) else pd.DataFrame()
    if not len(rows):
        return []
    return [chart(charts.series_lines(rows, None, ".2%"), _trend_sentence(rows, label, store.period, True),
                  f"{label}: {geography.area_names(store.key).get(area, area)}, its region and England")]


def flows_section(store: StoreFigures, area: str) -> list[dict]:
    out: list[dict] = []
    for key, label in (("leaver_rate", "Leaver rate"), ("joiner_rate", "Joiner rate")):
        out += [subheading(label), *_rate_lines(store, area, key), *_spc_or_run(store, area, key)]
    row = im._one(store.metrics, area, store.period, ALL_STAFF)
    if row is not None:
        out.append(table(["Flow in " + period_label(store.period), "FTE", "Headcount"],
                         [["Leavers", _count_text(row["leavers_fte"]), _count_text(row["leavers_hc"], 0)],
                          ["Joiners", _count_text(row["joiners_fte"]), _count_text(row["joiners_hc"], 0)]]))
    return out


def _england_vacancies() -> list[dict]:
    """England's published vacancy rates with their own date, as the Vacancy page shows them where a system has no
    figures (the what-if scenarios start from them)."""
    from lib.whatif.studio import NATIONAL_VACANCY_SOURCE, national_vacancy_table, vacancy_date_line
    t = national_vacancy_table()
    if t.empty:
        return []
    return [subheading("England's published vacancy rates"), note(vacancy_date_line()),
            table(["Staff group", "England vacancy rate", "What it is"],
                  [[r["Staff group"], im.fmt_value(r["England vacancy rate"], "rate"), r["What it is"]]
                   for _, r in t.iterrows()], align=["left", "right", "left"],
                  caption=f"Source: {NATIONAL_VACANCY_SOURCE}. England figures, not this system's: the scenarios "
                          "use them as the starting gap while no vacancy file is loaded. A system's own figures "
                          "need the vacancy template.")]


def vacancy_section(store: StoreFigures, area: str) -> list[dict]:
    row = im._one(store.metrics, area, store.period, ALL_STAFF)
    has = row is not None and _num(row.get("vacancy_rate")) is not None
    if not has:
        why = im.EMPTY_MEASURE_HELP["vacancy_rate"]
        if row is not None and _num(row.get("vacancy_fte")) is not None:
            why = ("Vacancy figures are loaded but cover less of the staff in post than the 95% the rate needs "
                   "(lib.insight.coverage), so no rate is shown.")
        return [text("Missing: no vacancy rate for this system and month."), note(why), *_england_vacancies()]
    out = [note(calendar.own_date_line(calendar.VACANCIES, store.period, calendar.VACANCY_TEMPLATE_SOURCE)),
           *_spc_or_run(store, area, "vacancy_rate")]
    groups = store.metrics[(store.metrics["area_code"] == area) & (store.metrics["period"] == store.period)
                           & (store.metrics["staff_group"] != ALL_STAFF)].dropna(subset=["vacancy_rate"])
    if len(groups):
        out.append(table(["Staff group", "Vacancy FTE", "Vacancy rate"],
                         [[r.staff_group, _count_text(r.vacancy_fte), im.fmt_value(r.vacancy_rate, "rate")]
                          for r in groups.itertuples()]))
    return out


def mix_section(store: StoreFigures, area: str, names: dict[str, str]) -> list[dict]:
    rm = im.role_mix(store.metrics, area, store.period)
    if rm.empty:
        return [note("No staff-group figures for this month.")]
    sentence = chart_text.profile_mix_description(rm, names[area], store.period)
    rows = pd.DataFrame({"category": list(rm["staff_group"]) * 2,
                         "series": [names[area]] * len(rm) + ["England"] * len(rm),
                         "value": list(rm["system_share"]) + list(rm["england_share"])})
    out = [chart(charts.paired_bars(rows, list(rm["staff_group"]), (names[area], "England")), sentence,
                 f"Role mix: {names[area]} and England, share of FTE")]
    out.append(table(["Staff group", "FTE", "Share", "England share", "Difference (points)"],
                     [[r.staff_group, im.fmt_value(r.system_fte, "count"), im.fmt_value(r.system_share, "rate"),
                       im.fmt_value(r.england_share, "rate"),
                       "no data" if pd.isna(r.difference) else f"{100 * r.difference:+.2f}"]
                      for r in rm.itertuples()]))
    return out + peer_mix(store, area, names)


def peer_mix(store: StoreFigures, area: str, names: dict[str, str]) -> list[dict]:
    """The Role mix page's fair comparison (lib.insight.peers): hosted regional services counted in the system,
    and its mix against the similar systems' quartiles beside England. Nothing when the store has no
    organisation rows (the demo)."""
    from lib.insight import peers
    rows = og.org_rows(store.frame)
    if rows.empty:
        return []
    out: list[dict] = [subheading("Against similar systems")]
    hosted = peers.hosted_services(rows, store.period)
    h = hosted[hosted["system_code"] == area]
    if len(h):
        out.append(note(f"{names[area]}'s figures include hosted regional services, which serve people beyond the "
                        "system: " + "; ".join(f"{r.org_name} ({r.kind}, {r.fte:,.0f} FTE, {100 * r.share:.1f}% of "
                                               "the system's staff)" for r in h.itertuples())
                        + ". They make the system's mix differ from England's for reasons that are not its own."))
    similar = peers.similar_systems(peers.system_profile(rows, store.period), area)
    if similar.empty:
        return out
    t = peers.mix_with_peers(store.metrics, area, store.period, list(similar["area_code"]))
    pct = lambda v: im.fmt_value(v, "rate")  # noqa: E731
    out.append(table(["Staff group", "Share", "Similar: lower quartile", "Similar: median", "Similar: upper quartile",
                      "England share", "Among similar systems"],
                     [[r[0], pct(r[1]), pct(r[2]), pct(r[3]), pct(r[4]), pct(r[5]), r[6]]
                      for r in t.itertuples(index=False)],
                     align=["left", "right", "right", "right", "right", "right", "left"],
                     caption="Similar systems: " + "; ".join(names.get(c, c) for c in similar["area_code"])
                             + f". {peers.SIMILAR_RULE}"))
    return out


def sickness_section(store: StoreFigures, area: str, names: dict[str, str]) -> list[dict]:
    df = store.sickness
    if df is None or df.empty:
        return [text("Not loaded: no sickness absence figures are in this data store."),
                note("Load NHS Digital's monthly sickness absence CSV with "
                     "`python -m lib ingest FILE --data-dir DIR`.")]
    months = sorted(df["period_end"].astype(str).unique())
    at = max([p for p in months if p <= store.period] or months)
    t = sk.system_table(df, at, ALL_STAFF, store.key)
    row = t[t["code"] == area]
    out: list[dict] = []
    if at != store.period:
        out.append(note(f"The latest sickness absence month loaded for this pack is {period_label(at)} "
                        f"(NHS Digital publishes it later than staff in post)."))
    if row.empty or pd.isna(row["sickness_rate"].iloc[0]):
        out.append(text(f"No sickness absence figures for {names[area]} in {period_label(at)}."))
        return out
    r = row.iloc[0]
    n = int(t["sickness_rate"].notna().sum())
    phrase = im.rank_phrase(r["rank"], n, bool((t["sickness_rate"] == r["sickness_rate"]).sum() > 1),
                            "sickness absence rate")
    out.append(table(["Unit", f"Sickness absence rate, {period_label(at)}"],
                     [[names[area], im.fmt_value(r["sickness_rate"], "rate")],
                      [f"{r['region_name']} region", im.fmt_value(r["region_rate"], "rate")],
                      ["England", im.fmt_value(r["england_rate"], "rate")]],
                     caption=f"{names[area]}: {phrase}."))
    if store.disclosure:
        out.append(note("Organisations' sickness absence is not listed under disclosure control (days lost are not "
                        "suppressed at organisation level)."))
        return out
    orgs = sk.rates(df[df["period_end"].astype(str) == at], "org", ALL_STAFF, store.key)
    if "area_code" in orgs:
        orgs = orgs[orgs["area_code"] == area]
    if len(orgs) > 1:
        tab = pd.DataFrame({"code": orgs["code"], "name": orgs["name"], "value": orgs["sickness_rate"]})
        sentence = chart_text.ranking_description(tab, "Sickness absence rate", at,
                                                  noun=f"organisations of {names[area]}",
                                                  england=_num(r["england_rate"]))
        out.append(chart(charts.ranked_bars(tab.head(ORG_LIMIT), ".1%", "Sickness absence rate",
                                            _num(r["england_rate"])), sentence,
                         f"Sickness absence rate by organisation, {period_label(at)}"))
    return out


def organisations_section(store: StoreFigures, area: str, names: dict[str, str]) -> list[dict]:
    """The system's organisations ranked on the leaver rate (the Organisations page's table)."""
    if store.org_metrics is None:
        return [note(store.org_problem or "No organisation figures are loaded.")]
    t = og.system_organisations(store.org_metrics, area, store.period, ALL_STAFF, None, "leaver_rate")
    if t.empty:
        return [note(f"No organisations of {names[area]} in {period_label(store.period)}.")]
    eng = im._one(store.metrics, im.ENGLAND_CODE, store.period, ALL_STAFF)
    tab = pd.DataFrame({"code": t["org_code"], "name": t["org_name"], "value": t["leaver_rate"]})
    sentence = chart_text.ranking_description(tab, "Leaver rate (month)", store.period,
                                              noun=f"organisations of {names[area]}",
                                              england=None if eng is None else _num(eng["leaver_rate"]))
    out = [chart(charts.ranked_bars(tab.head(ORG_LIMIT), ".2%", "Leaver rate (month)",
                                    None if eng is None else _num(eng["leaver_rate"])), sentence,
                 f"Leaver rate by organisation, {period_label(store.period)}")]
    rows = [[str(r.org_name), str(r.cluster_group or ""), im.fmt_value(r.fte, "count"),
             _count_text(r.leavers_fte), im.fmt_value(r.leaver_rate, "rate"), im.fmt_value(r.joiner_rate, "rate")]
            for r in t.head(ORG_LIMIT).itertuples()]
    out.append(table(["Organisation", "Care setting", "FTE", "Leavers (FTE)", "Leaver rate", "Joiner rate"], rows,
                     align=["left", "left", "right", "right", "right", "right"],
                     caption=f"Ranked by leaver rate (1 = highest), {period_label(store.period)}, all staff groups."
                             + (f" First {ORG_LIMIT} of {len(t)}." if len(t) > ORG_LIMIT else "")))
    return out


PCN_SOURCE = "NHS Digital, Primary Care Networks workforce (Individual Level files)"  # as ui.pcn_view says it


def pcn_table(data_dir, key: str, period: str, sdc: bool) -> pd.DataFrame:
    """Systems and England x staff role for one PCN census month: the PCN page's table (ui.pcn_view._table), small
    cells hidden under disclosure control as it hides them (the same joint plan)."""
    from lib.data import pcn_store
    from lib.insight import pcn_roles
    f = pcn_store.on_footprint(pcn_store.load(data_dir), key)
    pop = pcn_store.population(data_dir, key)
    systems = list(geography.vintage(key).areas["code"])
    t = pcn_roles.roles_table(f, period, population=pop if len(pop) else None, systems=systems)
    e = pcn_roles.roles_table(f, period, by="england", population=pop if len(pop) else None)
    t = pd.concat([t, e], ignore_index=True)
    if sdc:  # the joint plan of every PCN table (lib.insight.disclosure_plan), as the page applies it
        from lib.insight import disclosure_plan
        from lib.sharing import pcn_joint
        t = pcn_joint.apply(t, disclosure_plan.pcn_viewer_plan(data_dir, [period]), pcn_joint.AREA, key)
    return t


def primary_care_section(store: StoreFigures, area: str | None = None, names: dict[str, str] | None = None
                         ) -> list[dict]:
    """Primary care networks' new roles (ARRS) in the system at the latest PCN census up to the pack's month: the
    PCN page's figures (lib.insight.pcn_roles), or 'not loaded' and how to load them."""
    from lib.data import pcn_store
    from lib.insight import pcn_roles
    try:
        months = pcn_store.periods(store.data_dir)
    except (OSError, ValueError):
        months = []
    if not months or area is None:
        return [text("Not loaded: this data store holds no primary care network (PCN) workforce figures, so the "
                     "new roles in primary care (ARRS: clinical pharmacists, physician associates, first contact "
                     "physiotherapists and others) are not shown."),
                note("Load NHS Digital's quarterly 'Primary Care Networks - <Month Year> Individual Level' CSV with "
                     "`python -m lib ingest FILE --data-dir DIR`; this section then reports it.")]
    names = names or geography.area_names(store.key)
    key = store.key if store.key in ("ICS", "ICS2026") else "ICS"  # PCN files carry ICBs (ui.pcn_view.footprint)
    at = max([p for p in months if p <= store.period] or months)
    t = pcn_table(store.data_dir, key, at, store.disclosure)
    mine = t[t["area_code"] == area]
    eng = t[t["area_code"] == pcn_roles.ENGLAND[0]].set_index("role")
    if mine.empty:
        return [note(f"No PCN figures for {names.get(area, area)} in {period_label(at)} (it may be a system of "
                     "another footprint).")]
    out: list[dict] = []
    if at != store.period:
        out.append(note(f"PCN census of {period_label(at)} (quarterly): a different date and source from the trust "
                        f"figures of {period_label(store.period)}."))
    tot = mine[mine["role"] == pcn_roles.ALL_ROLES].iloc[0]
    roles = mine[mine["role"] != pcn_roles.ALL_ROLES].sort_values(["fte", "role"], ascending=[False, True])

    def fte(v) -> str:
        return "suppressed" if pd.isna(v) else f"{v:,.1f}"

    def per(v) -> str:
        return "-" if v is None or pd.isna(v) else f"{v:,.1f}"

    has_pop = "fte_per_100k" in t
    sentence = (f"Primary care networks' staff in {names.get(area, area)}, {period_label(at)}: {fte(tot['fte'])} FTE "
                "in all roles" + (f" ({per(tot['fte_per_100k'])} per 100,000 people; England "
                                  f"{per(eng.loc[pcn_roles.ALL_ROLES, 'fte_per_100k'])})" if has_pop else "")
                + "; largest roles: " + "; ".join(f"{r} {fte(f)}" for r, f in zip(roles["role"].head(3),
                                                                                 roles["fte"].head(3))) + ".")
    bars = pd.DataFrame({"name": roles["role"].astype(str), "value": roles["fte"].astype(float)}).dropna()
    if len(bars):
        out.append(chart(charts.ranked_bars(bars.head(ORG_LIMIT), ",.0f", "FTE"), sentence,
                         f"PCN staff by role, {names.get(area, area)}, {period_label(at)} (FTE)"))
    else:
        out.append(text(sentence))
    cols = ["Role", "FTE", "Headcount"] + (["Per 100,000", "England per 100,000"] if has_pop else [])
    rows = []
    for r in pd.concat([mine[mine["role"] == pcn_roles.ALL_ROLES], roles]).itertuples():
        row = [str(r.role), fte(r.fte), "suppressed" if pd.isna(r.headcount) else f"{r.headcount:,.0f}"]
        if has_pop:
            row += [per(r.fte_per_100k), per(eng["fte_per_100k"].get(r.role))]
        rows.append(row)
    out.append(table(cols, rows, caption=f"Source: {PCN_SOURCE}; census {period_label(at)}. Headcount counts a "
                                         "person in two roles or PCNs in each."))
    return out


def methods_section(store: StoreFigures) -> list[dict]:
    keys = ["fte", "headcount", "leaver_rate", "joiner_rate", "vacancy_rate", "fte_share", "fte_growth"]
    if store.population:
        keys.append("fte_per_100k")
    out = [subheading("Definitions"),
           table(["Term", "Definition"], [[TERMS[k], DEFINITIONS[k]] for k in keys]
                 + [["Sickness absence rate", sk.DEFINITION]], align=["left", "left"])]
    out += [subheading("Methods"),
            text("Aggregates (systems, regions, England) are ratios of sums, never means of rates. SPC charts are "
                 "Making Data Count XmR charts (ported from NHSRplotthedots): process limits at the mean +/- 2.66 "
                 "x the mean moving range; a point is unusual (not usual variation) when it is outside the limits, in "
                 f"a run of 7 on one side of the mean or a trend of 7, or one of 2 of 3 near a limit. Below {signals.MIN_SPC_POINTS} months a run "
                 "chart is drawn instead (the median; a shift is 6 or more points on one side of it, a trend 5 or "
                 "more rising or falling), as the dashboard does. The staff-in-post bridge is start - leavers + "
                 "joiners + residual = end; the residual (changes of hours, reclassification) is not a published "
                 "flow."),
            text("Scenarios project staff in post a year at a time (stock-flow model): leavers and joiners at the "
                 "baseline's rates, demand growing as the assumptions say; a lever's contribution is what adding "
                 "it changes, levers added in a fixed order.")]
    out += [subheading("Disclosure control"),
            text("Applied: counts under 5 (staff in post, leavers, joiners, vacancies) are hidden, with the "
                 "complementary cells that would reveal them, and the figures built from them (rates, the bridge, "
                 "organisations' counts) are not shown." if store.disclosure else
                 "Not applied: counts under 5 may appear. Build the pack with --disclosure-control (or the shared "
                 "dashboard's disclosure control) before sharing it outside the organisation.")]
    out.append(text("Source: " + provenance.source_statement(store.prov) + "."))
    return out


# ------------------------------------------------------------------------------------------------ scenarios
def scenario_baseline(store: StoreFigures):
    """The what-if baseline the studio uses (ui.whatif.session.baseline_hidden): the CLI's without disclosure
    control, else built from the suppressed metrics of the evidence months. (baseline, {system: hidden groups})."""
    from lib.whatif import studio as w
    if "baseline" not in store.spare:
        if not store.disclosure:
            store.spare["baseline"] = (w.load_baseline(store.data_dir, store.key, store.period), {})
        else:
            window = w.evidence_periods(store.data_dir, store.key, store.period, store.periods)
            store.spare["baseline"] = w.shared_baseline(store.metrics[store.metrics["period"].isin(window)],
                                                        store.period)
    return store.spare["baseline"]


def scenario_section(store: StoreFigures, area: str, names: dict[str, str], scenarios: list) -> list[dict]:
    """Each scenario's levers and four headline figures, the gap over time of all of them against the baseline,
    and what drives each one's difference (the what-if bridge)."""
    from lib.whatif import cards, studio as w
    from lib.whatif.scenario import ScenarioError
    if not scenarios:
        return [text("No scenarios were given for this pack. Compare scenarios on the what-if page and download the "
                     "board pack there, or pass scenario files: python -m lib report ... --scenario FILE.")]
    base, hidden = scenario_baseline(store)
    out: list[dict] = []
    results, named = {}, []
    for i, (name, scn) in enumerate(scenarios, start=1):
        label = name or scn.name or f"Scenario {i}"
        if scn.area != area:
            out.append(note(f"{label}: it is for {scn.area}, not {area}, so it is left out of this pack."))
            continue
        problems = w.check_area(scn, base)
        if problems:
            out.append(note(f"{label}: cannot run: {'; '.join(problems)}"))
            continue
        try:
            res = w.hide_groups(w.run(scn, base), hidden.get(area))
        except ScenarioError as exc:
            out.append(note(f"{label}: cannot run: {'; '.join(exc.errors)}"))
            continue
        results[label] = res
        named.append((label, scn, res))
    if not results:
        return out
    groups = set(next(iter(results.values())).column("summary", "staff_group"))
    group = w.NURSES if w.NURSES in groups else sorted(groups)[0]
    out.append(text(f"Figures are for {group} (the staff group the what-if page follows first), {names[area]}, "
                    f"projected from {period_label(store.period)}; the gap is demand minus capacity in FTE."))
    for label, scn, res in named:
        h = w.headline(res, group)
        # one block: a scenario's name, levers and figures are never split across a page
        out.append({"kind": "group", "blocks": [
            subheading(f"{label} ({scn.horizon} years)"),
            {"kind": "bullets", "items": w.lever_summary(scn)},  # as the page's comparison cards
            {"kind": "figures", "items": [{"label": f["label"], "value": f["value"], "sub": f["delta"]}
                                          for f in cards.headline_cards(store.period, h)]}]})
    gaps, _ = w.comparison(results, group)
    first = next(iter(results.values()))
    bl = w.gap_frame(first, group)
    bl = bl[bl["scenario"] == w.SCENARIO_LABELS["baseline"]].assign(scenario="Baseline (no levers)")
    data = pd.concat([bl, gaps], ignore_index=True)[["scenario", "year", "gap"]]
    ends = gaps[gaps["year"] == gaps.groupby("scenario")["year"].transform("max")]
    desc = w.final_year_caption(ends, bl["gap"].iloc[-1])
    out.append(subheading(f"Gap over time: {group}"))
    out.append(chart(charts.scenario_gaps(data, None), desc, f"Gap over time: {group}"))
    for label, scn, res in named:
        if not br._lever_steps(scn.levers):
            continue
        try:
            t = br.whatif_bridge(scn, base, figure="fte", staff_group=group, year=scn.horizon)
        except (br.BridgeError, ScenarioError) as exc:
            out.append(note(f"{label}: no bridge: {exc}"))
            continue
        t = w.plain_bridge_table(t, scn)  # lever names as the studio's "Why it differs" tab
        sentence = chart_text.whatif_bridge_description(t, group, scn.horizon)
        short = t.assign(label=t["label"].str.removesuffix(f": {group}"))
        out.append(subheading(f"What drives the difference: {label}"))
        out.append(chart(charts.waterfall(short, "FTE", WHATIF_LEGEND), sentence,
                         f"Why {group} FTE in year {scn.horizon} differs from the baseline: {label}"))
    out.append(note("Levers are added one at a time (productivity, retention, recruitment, training places, new "
                    "roles, upskilling); each bar is what adding that lever changed, and the bars sum exactly to "
                    "the scenario." + (f" Baseline rates {base.months_label}." if getattr(base, "provisional", False)
                                       else "")))
    return out


# ------------------------------------------------------------------------------------------------ the pack
def build_pack(store: StoreFigures, area: str, scenarios: list | None = None) -> dict:
    """The whole pack for one system: cover and sections (id, title, blocks) in board order."""
    names = geography.area_names(store.key)
    if geography.area_kind(area) == "system":  # a system of another footprint is refused with what it became
        try:
            area = geography.area_on_footprint(area, store.key, "--area")[0]
        except geography.AreaError as exc:
            raise PackError(str(exc)) from None
    systems = list(geography.vintage(store.key).areas["code"])
    if area not in systems:
        raise PackError(f"--area {area!r} is not a system of the {geography.vintage(store.key).title}; expected one "
                        f"of {', '.join(sorted(systems))} (or all)")
    scenarios = list(scenarios or [])
    sections = {
        "headlines": headline_section(store, area, names),
        "staff": staff_section(store, area, names),
        "flows": flows_section(store, area),
        "vacancies": vacancy_section(store, area),
        "mix": mix_section(store, area, names),
        "sickness": sickness_section(store, area, names),
        "organisations": organisations_section(store, area, names),
        "primary_care": primary_care_section(store, area, names),
        "scenarios": scenario_section(store, area, names, scenarios),
        "methods": methods_section(store),
    }
    c = cover(store, area, names, scenarios)
    return {"title": f"Board pack: {names[area]} ({area}), {period_label(store.period)}", "cover": c,
            "header": f"{names[area]} ({area})", "synthetic_mark": SYNTHETIC_MARK if c["synthetic"] else "",
            "sections": [{"id": k, "title": SECTION_TITLES[k], "blocks": sections[k]} for k, _ in SECTIONS]}
