"""Issue 13 probes that need no server: secrets failing closed, claims, store files, ingest permissions, scenario
text, viewer messages, the command line's disclosure switch."""
from __future__ import annotations

import base64
import os
import shutil
import subprocess
import hashlib
import zlib
from pathlib import Path

import pytest

from tests.conftest import REPO, run_cli

# Fixed, not drawn per process: it appears in parametrised test ids, which every xdist worker must collect alike.
GOOD = hashlib.sha256(b"tests/security: a strong cookie secret").hexdigest()
EXAMPLE_COOKIE_SECRET = "REPLACE-with-64-hex-characters-from-secrets.token_hex-32"


@pytest.fixture(scope="module")
def settings():
    from lib.sharing import settings as s
    return s


def _write(tmp_path, text, name="secrets.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


# ---------------------------------------------------------------- probes 1 and 2: secrets
def test_syntax_error_is_broken_not_absent(tmp_path, settings):
    p = _write(tmp_path, f'[auth\ncookie_secret = "{GOOD}"\n[workforce]\ndisclosure_control = true\n')
    s = settings.read_files([p])
    assert s.broken and "cannot be read" in s.problem and str(p) in s.problem


def test_explicit_path_that_does_not_exist_is_broken(tmp_path, settings):
    assert settings.read_files([tmp_path / "nope.toml"], explicit=True).broken
    assert not settings.read_files([tmp_path / "nope.toml"], explicit=False).broken  # default list: local run


def test_unreadable_and_not_utf8_are_broken(tmp_path, settings):
    p = tmp_path / "s.toml"
    p.write_bytes(b'[workforce]\ncontact = "\xff"\n')
    assert settings.read_files([p]).broken
    assert settings.read_files([tmp_path]).broken  # a directory


@pytest.mark.parametrize("secret,why", [
    (EXAMPLE_COOKIE_SECRET, "placeholder"),
    ("REPLACE-ME-" + "a1b2c3d4e5f6" * 3, "placeholder"),
    ("changeme", "placeholder"),
    ("0123456789abcdef", "characters long"),
    ("z" * 64, "repetitive"),
    ("ab" * 32, "repetitive"),
    ("", "missing"),
    (None, "missing"),
])
def test_weak_cookie_secret_is_broken(secret, why, settings):
    auth = {"client_id": "x"} if secret is None else {"client_id": "x", "cookie_secret": secret}
    s = settings.validate({"auth": auth})
    assert s.broken and why in s.problem


def test_good_secrets_and_no_secrets_are_fine(tmp_path, settings):
    assert not settings.validate({"auth": {"cookie_secret": GOOD}}).broken
    assert not settings.validate({}).broken
    ex = (REPO / ".streamlit" / "secrets.example.toml").read_text()
    assert settings.read_files([_write(tmp_path, ex)]).broken  # the example as shipped is refused
    assert not settings.read_files([_write(tmp_path, ex.replace(EXAMPLE_COOKIE_SECRET, GOOD))]).broken


def _apptest_with_secrets_file(path: Path, monkeypatch, small: bool = False):
    from streamlit import config
    from streamlit.testing.v1 import AppTest
    monkeypatch.setattr(config, "is_manually_set", lambda name: name == "secrets.files")
    real = config.get_option
    monkeypatch.setattr(config, "get_option", lambda name: [str(path)] if name == "secrets.files" else real(name))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.run()
    return at


@pytest.mark.parametrize("text", [
    '[workforce]\ndisclosure_control = true\n[auth\n',            # one missing ]
    f'[auth]\ncookie_secret = "{EXAMPLE_COOKIE_SECRET}"\nclient_id = "x"\n',  # the example secret
    f'[auth]\ncookie_secret = "short"\nclient_id = "x"\n',
])
def test_app_refuses_every_viewer_and_keeps_suppression_on(text, tmp_path, monkeypatch, caplog):
    from ui import auth
    at = _apptest_with_secrets_file(_write(tmp_path, text), monkeypatch)
    assert not at.exception
    body = " ".join(e.value for e in at.error)
    assert "not available" in body and str(tmp_path) not in body  # no server path for the viewer
    assert not at.metric and not at.dataframe and not [b for b in at.button if b.label == "Sign in"]
    assert "NHS workforce headlines" not in [t.value for t in at.title]


def test_broken_secrets_keep_disclosure_on_and_log_why(tmp_path, monkeypatch, caplog):
    from streamlit import config
    from ui import auth
    p = _write(tmp_path, '[workforce]\ndisclosure_control = true\n[auth\n')
    monkeypatch.setattr(config, "is_manually_set", lambda name: name == "secrets.files")
    real = config.get_option
    monkeypatch.setattr(config, "get_option", lambda name: [str(p)] if name == "secrets.files" else real(name))
    monkeypatch.delenv("WORKFORCE_DISCLOSURE_CONTROL", raising=False)
    auth._LOGGED.clear()
    with caplog.at_level("ERROR", logger="ui.auth"):
        assert auth.disclosure_on() is True
        assert auth.auth_configured() is True
    assert any("refuses every viewer" in r.message and "cannot be read" in r.message for r in caplog.records)


# ---------------------------------------------------------------- probe 6: a copied Parquet file
def test_copied_store_file_is_refused_and_named(tmp_path):
    from lib.data import loader
    d = tmp_path / "store"
    shutil.copytree(loader.DEMO_DATA_DIR, d)
    part = d / "level=ICS" / "period=2025-11"
    before = loader.load_frame(d, "ICS", periods=["2025-11"])
    shutil.copy(part / "demo.parquet", part / "demo (copy).parquet")
    problems: list[str] = []
    after = loader.load_frame(d, "ICS", periods=["2025-11"], problems=problems)
    assert len(after) == len(before)  # not doubled
    assert after["sip_end_fte"].sum() == pytest.approx(before["sip_end_fte"].sum())
    assert any("demo (copy).parquet" in p and "demo.parquet" in p and "counted twice" in p for p in problems), problems
    assert any("demo (copy).parquet" in p for p in loader.store_problems(d))


def test_copy_of_real_store_does_not_double_england(real_store, tmp_path):
    from lib.data import loader
    from lib.insight.metrics import area_metrics
    d = tmp_path / "real"
    shutil.copytree(real_store, d)
    f = next((d / "level=ICS").glob("period=*/turnover.parquet"))
    period = f.parent.name.split("=", 1)[1]

    def england():
        m = area_metrics(loader.load_area_frame(d, "ICS", periods=[period]), include_england=True)
        return float(m[(m.area_code == "ENG") & (m.staff_group == "All staff groups")].fte.iloc[0])
    one = england()
    assert 1.0e6 < one < 1.6e6  # about 1.33 million FTE
    shutil.copy(f, f.with_name("turnover (copy).parquet"))
    assert england() == pytest.approx(one)


def test_files_that_do_not_overlap_are_both_used(tmp_path):
    from lib.data import loader
    d = tmp_path / "store"
    shutil.copytree(loader.DEMO_DATA_DIR, d)
    part = d / "level=ICS" / "period=2025-11"
    import pyarrow.parquet as pq
    t = pq.read_table(part / "demo.parquet").to_pandas()
    codes = sorted(t.area_code.unique())
    t[t.area_code.isin(codes[:20])].to_parquet(part / "demo.parquet", index=False)
    t[~t.area_code.isin(codes[:20])].to_parquet(part / "other.parquet", index=False)
    problems: list[str] = []
    assert len(loader.load_frame(d, "ICS", periods=["2025-11"], problems=problems)) == len(t)
    assert not problems


# ---------------------------------------------------------------- probe 7: ingest permissions
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to read the store as another user")
def test_ingested_files_are_readable_by_another_account():
    import tempfile
    from lib.data.ingest import ingest
    from tests.conftest import TURNOVER_NOV25
    top = Path(tempfile.mkdtemp(prefix="ingest-perm-"))  # not under pytest's own 0700 folder
    os.chmod(top, 0o755)
    d = top / "store"
    old = os.umask(0o077)  # an analyst's strict umask
    try:
        ingest([TURNOVER_NOV25], d)
    finally:
        os.umask(old)
    files = sorted(d.rglob("*.parquet")) + [d / "manifest.json"]
    assert files and all((f.stat().st_mode & 0o777) == 0o644 for f in files)
    try:
        r = subprocess.run(["cat", *map(str, files)], user="nobody", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    finally:
        shutil.rmtree(top)
    assert r.returncode == 0, r.stderr


# ---------------------------------------------------------------- probe 8: scenario text, messages, CLI
def _link(raw: bytes) -> str:
    from lib.whatif.scenario import QUERY_PREFIX
    return QUERY_PREFIX + base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


@pytest.mark.parametrize("raw", [
    b'{"schema_version": ' + b"9" * 4301 + b"}",         # beyond Python's int max str digits
    b'\xff\xfe{"name": "x"}',                              # not UTF-8
    b"[" * 3000 + b"]" * 3000,                             # nested too deeply
    b'{"name": ' + b'{"a": ' * 2000 + b"1" + b"}" * 2001,
])
def test_bad_scenario_text_always_gives_a_message(raw):
    from lib.whatif.scenario import Scenario, ScenarioError, from_query
    for attempt in (lambda: from_query(_link(raw)), lambda: Scenario.from_json(raw)):
        with pytest.raises(ScenarioError) as e:
            attempt()
        assert str(e.value).strip()


def test_viewer_messages_carry_no_server_paths():
    from lib.sharing.redact import for_viewers
    msg = ("/srv/workforce/data/level=ICS/period=2025-11/turnover (copy).parquet: holds rows ... as "
           "turnover.parquet; [Errno 13] Permission denied: '/etc/workforce/x.toml'")
    out = for_viewers(msg, "/srv/workforce/data")
    assert "/srv" not in out and "/etc" not in out
    assert "level=ICS/period=2025-11/turnover (copy).parquet" in out and "x.toml" in out


def _cli(*args, env=None):
    return run_cli(*args, env=env, drop_env=("WORKFORCE_DISCLOSURE_CONTROL",))


def test_cli_applies_disclosure_control_when_asked_and_says_when_off(tmp_path):
    import io
    import pandas as pd
    from lib.data import loader
    d = tmp_path / "store"
    shutil.copytree(loader.DEMO_DATA_DIR / "level=ICS" / "period=2025-11", d / "level=ICS" / "period=2025-11")
    import pyarrow.parquet as pq
    f = d / "level=ICS" / "period=2025-11" / "demo.parquet"
    t = pq.read_table(f).to_pandas()
    for c in ("sip_start_fte", "sip_start_hc", "sip_end_fte", "sip_end_hc", "joiners_fte", "joiners_hc",
              "leavers_fte", "leavers_hc", "vacancy_fte"):
        t[c] = (t[c] / 100).round(1)
    t.to_parquet(f, index=False)
    off = _cli("metrics", "--data-dir", str(d), "--by-staff-group")
    assert off.returncode == 0 and "disclosure control is off" in off.stderr
    assert (pd.read_csv(io.StringIO(off.stdout)).leavers_fte < 5).any()
    for on in (_cli("metrics", "--data-dir", str(d), "--by-staff-group", "--disclosure-control"),
               _cli("metrics", "--data-dir", str(d), "--by-staff-group", env={"WORKFORCE_DISCLOSURE_CONTROL": "1"})):
        assert on.returncode == 0 and "disclosure control is off" not in on.stderr
        df = pd.read_csv(io.StringIO(on.stdout))
        for c in ("leavers_fte", "joiners_fte", "fte", "sip_start_fte", "leavers_hc", "headcount"):
            assert not (df[c] < 5).any(), c


# ---------------------------------------------------------------- issue 22: secrets that must exist
FULL_AUTH = {"redirect_uri": "https://x.nhs.uk/oauth2callback", "cookie_secret": GOOD, "client_id": "c",
             "client_secret": hashlib.sha256(b"tests/security: client secret").hexdigest()[:32], "server_metadata_url": "https://idp/.well-known/x"}


@pytest.mark.parametrize("text,why", [
    ("", "holds no settings"),
    ("# nothing yet\n\n# [auth]\n", "holds no settings"),
    (f'[Auth]\ncookie_secret = "{GOOD}"\n', "[Auth]"),
    (f'[oauth]\ncookie_secret = "{GOOD}"\n', "[oauth]"),
    (f'[auth]\ncookie_secret = "{GOOD}"\n[workforc]\ndisclosure_control = false\n', "[workforc]"),
    ('contact = "x@nhs.net"\n', "[contact]"),  # a key outside any table
])
def test_named_file_with_nothing_known_is_broken(text, why, tmp_path, settings):
    s = settings.read_files([_write(tmp_path, text)], explicit=True)
    assert s.broken and why in s.problem, s.problem


def test_unknown_table_is_broken_even_in_the_default_location(tmp_path, settings):
    assert settings.read_files([_write(tmp_path, "[Auth]\nclient_id = 'x'\n")], explicit=False).broken
    assert not settings.read_files([_write(tmp_path, "")], explicit=False).broken  # default list, empty: local run
    assert not settings.read_files([_write(tmp_path, "[workforce]\ndisclosure_control = true\n")],
                                   explicit=True).broken


def test_production_needs_a_complete_auth_table(settings):
    assert settings.validate({"workforce": {"disclosure_control": True}}, production=True).broken
    assert settings.validate({}, production=True).broken
    partial = {k: v for k, v in FULL_AUTH.items() if k != "client_secret"}
    assert "client_secret" in settings.validate({"auth": partial}, production=True).problem
    assert not settings.validate({"auth": partial}).broken  # outside production the gate shows sign-in anyway
    assert not settings.validate({"auth": FULL_AUTH}, production=True).broken
    named = {"redirect_uri": FULL_AUTH["redirect_uri"], "cookie_secret": GOOD,
             "microsoft": {k: FULL_AUTH[k] for k in ("client_id", "client_secret", "server_metadata_url")}}
    assert not settings.validate({"auth": named}, production=True).broken  # [auth.microsoft]


@pytest.mark.parametrize("value,prod", [("production", True), ("prod", True), ("Production", True), ("", False),
                                        ("local", False)])
def test_production_is_any_value_but_local(value, prod, settings):
    assert settings.production({"WORKFORCE_DEPLOYMENT": value}) is prod
    assert settings.production({}) is False


@pytest.mark.parametrize("text", ["", "# only a comment\n", '[Auth]\nclient_id = "x"\n',
                                  '[workforce]\ndisclosure_control = false\n[oauth]\nclient_id = "x"\n'])
def test_named_file_saying_nothing_known_keeps_disclosure_on(text, tmp_path, monkeypatch, caplog):
    """Disclosure control stays on unless a valid file turns it off: here the file even says false."""
    from streamlit import config
    from ui import auth
    p = _write(tmp_path, text)
    monkeypatch.setattr(config, "is_manually_set", lambda name: name == "secrets.files")
    real = config.get_option
    monkeypatch.setattr(config, "get_option", lambda name: [str(p)] if name == "secrets.files" else real(name))
    monkeypatch.delenv("WORKFORCE_DISCLOSURE_CONTROL", raising=False)
    auth._LOGGED.clear()
    with caplog.at_level("ERROR", logger="ui.auth"):
        assert auth.disclosure_on() is True
        assert auth.auth_configured() is True
    assert any("refuses every viewer" in r.message for r in caplog.records)


@pytest.mark.parametrize("raw", ["![x](http://evil/x.png)", "[click](javascript:alert(1))", "**bold** _i_ `c`",
                                 "# heading\n- item", ":red[colour] :material/home:", "$x^2$", "<b>html</b>",
                                 "a\\]b", "1. list", "www.evil.example a@b.example `tick` ``two``"])
def test_markdown_escape_leaves_no_syntax(raw):
    """ui.text.md: every character Markdown could act on is escaped, so a query or file value shows as typed."""
    import re
    from ui.text import MARKDOWN_SPECIAL, WORD_JOINER, md, quoted
    out = md(raw)
    assert "\n" not in out
    unescaped = re.sub(r"\\.", "", out)  # what is left once every escaped character is removed
    assert not any(ch in MARKDOWN_SPECIAL for ch in unescaped), (raw, out)
    read = re.sub(r"\\(.)", r"\1", out)
    assert read.replace(WORD_JOINER, "") == raw.replace("\n", " ")  # read back, it is the same text
    assert not re.search(r"https?:/|www\.|\w@", read), read  # no bare address left to become a link
    span = quoted(raw)  # a code span: fenced by more backticks than any run inside
    fence = re.match(r"`+", span).group(0)
    assert span.endswith(fence) and fence not in span[len(fence):-len(fence)]
    assert span[len(fence):-len(fence)].strip().replace(WORD_JOINER, "") == raw.replace("\n", " ").strip()


def test_manifest_kind_and_months_are_not_echoed_into_the_source_line():
    """The store's manifest is not trusted text: the source statement (shown as Markdown on every page) names only
    publications it knows and months of the form YYYY-MM."""
    from lib.insight.provenance import source_statement
    hostile = "![x](http://evil.example/x.png)"
    line = source_statement({"files": [{"kind": hostile, "periods": ["2025-11", "[a](javascript:x)"],
                                        "ingested_at": "2025-12-01T10:00:00"}]})
    assert "evil" not in line and "javascript" not in line and "](" not in line
    assert line == "Files of an unrecognised kind, Nov 2025; ingested 1 Dec 2025"
