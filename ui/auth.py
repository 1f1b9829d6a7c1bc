"""Shared-deployment helpers: sign-in gate, disclosure-control switch, "data as at" banner, contact link.

Everything is off for a local analyst run (no secrets file): no sign-in, no suppression, no contact link.
Settings live in .streamlit/secrets.toml (see .streamlit/secrets.example.toml) or the environment:
[auth] turns sign-in on (Streamlit's st.login, any OpenID Connect provider); [workforce] holds the
allow-list, disclosure_control and the contact link.
"""
from __future__ import annotations

import logging
import os
import re
from datetime import UTC, datetime
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pandas as pd
import streamlit as st

from lib.sharing import access
from lib.sharing import disclosure
from lib.sharing import settings as settings_check
from lib.data import loader
from lib.data.schema import period_label
from ui import state, warm

_LOG = logging.getLogger(__name__)
ENV_CONTACT = "WORKFORCE_CONTACT"
ENV_CONTACT_LABEL = "WORKFORCE_CONTACT_LABEL"
APP_NAME = "NHS workforce insight"
LONDON = ZoneInfo("Europe/London")


_LOGGED: set[str] = set()


def _log_once(level: int, msg: str) -> None:
    """Log a configuration problem once per process (every page run checks it)."""
    if msg not in _LOGGED:
        _LOGGED.add(msg)
        _LOG.log(level, msg)


def loaded_secrets() -> settings_check.Secrets:
    """The secrets, checked (lib.sharing.settings): `problem` set when they cannot be trusted, which refuses every
    viewer and keeps disclosure control on. No secrets file at all is a local analyst run (nothing is on).
    Read afresh on every script run (a fixed or broken file counts from the next run), once per run."""
    return state.once_per_run("secrets", _read_secrets)


def _read_secrets() -> settings_check.Secrets:
    from streamlit import config
    files = [str(f) for f in (config.get_option("secrets.files") or [])]
    named = config.is_manually_set("secrets.files")
    production = settings_check.production()
    state = settings_check.read_files(files, explicit=named, production=production)
    if not state.broken:
        try:  # Streamlit's own copy (AppTest sets secrets there directly)
            values = st.secrets.to_dict() if st.secrets.load_if_toml_exists() else {}
        except Exception as exc:  # noqa: BLE001 - anything unreadable is broken, never "no secrets"
            values, state = {}, settings_check.Secrets({}, f"secrets could not be loaded: {exc}")
        else:
            state = settings_check.validate(values, named=named, production=production)
    if state.broken:
        _log_once(logging.ERROR, f"dashboard refuses every viewer and keeps disclosure control on: {state.problem}")
    return state


def _secrets() -> dict:
    """The whole secrets file as a dict; {} when there is none (a local run) or it is broken."""
    return dict(loaded_secrets().values)


def settings() -> dict:
    """The [workforce] section of secrets.toml ({} if absent)."""
    return loaded_secrets().section("workforce")


def auth_configured() -> bool:
    """Sign-in is required: [auth] is set, or the secrets are broken (then nobody gets past the gate)."""
    state = loaded_secrets()
    return state.broken or bool(state.section("auth"))


def _provider() -> str | None:
    """None for a single provider configured directly in [auth]; else the first named [auth.NAME]."""
    a = loaded_secrets().section("auth")
    if "client_id" in a:
        return None
    named = [k for k, v in a.items() if isinstance(v, dict) and "client_id" in v]
    return named[0] if named else None


def _plain(text: str) -> str:
    """Text safe to put inside Markdown: drop characters that would format or link."""
    return re.sub(r"[`*_\[\]<>()#|~\\]", "", text)


def _code(text: str) -> str:
    """Text as a Markdown code span: shown literally (no links, no formatting)."""
    return "`" + text.replace("`", "") + "`"


def contact() -> tuple[str, str] | None:
    """(label, url) of the contact/feedback link, from [workforce] contact or $WORKFORCE_CONTACT.

    An e-mail address becomes mailto:; only https, http and mailto links are used."""
    s = settings()
    url = str(s.get("contact") or os.environ.get(ENV_CONTACT, "")).strip()
    label = str(s.get("contact_label") or os.environ.get(ENV_CONTACT_LABEL, "") or "Contact and feedback").strip()
    if not url:
        return None
    if "@" in url and ":" not in url:
        url = "mailto:" + url
    if not re.match(r"^(https?://|mailto:)[^\s\"'<>]+$", url, flags=re.I):
        _LOG.warning("contact link ignored: only https, http and mailto links are allowed")
        return None
    return label, url


def _contact_sentence() -> str:
    return (" Use the contact link below to ask for access." if contact()
            else " Ask the person who shared this dashboard with you for access.")


def _signin_page() -> None:
    st.title(APP_NAME)
    st.markdown("This dashboard is shared with named NHS organisations. Sign in with your work account to "
                "see it.")
    provider = _provider()
    st.button("Sign in", type="primary", icon=":material/login:", key="auth_sign_in",
              on_click=(st.login if provider is None else (lambda: st.login(provider))))
    c = contact()
    if c:
        st.link_button(c[0], c[1], icon=":material/mail:")


def _refused_page(decision: access.Decision) -> None:
    st.title(APP_NAME)
    who = f"You are signed in as {_code(decision.email)}, but" if decision.email else "You are signed in, but"
    st.error(f"{who} you cannot see this dashboard: {decision.reason}.{_contact_sentence()}",
             icon=":material/block:")
    st.button("Sign out", icon=":material/logout:", key="auth_sign_out", on_click=st.logout)
    c = contact()
    if c:
        st.link_button(c[0], c[1], icon=":material/mail:")


def _broken_page() -> None:
    st.title(APP_NAME)
    st.error("This dashboard is not available just now: its settings could not be read or are not safe, so "
             "nobody is let in. The administrator can see why in the server log." + _contact_sentence(),
             icon=":material/block:")


def _only(draw, title: str) -> None:
    """Show one page and stop. Only this page is registered with st.navigation, so the session learns of no
    other page; every URL path lands here."""
    pages = [st.Page(draw, title=title, url_path="signin", default=True)]
    # Register the path asked for too, so a deep link gets this page rather than a "page not found" dialog.
    path = urlparse(st.context.url or "").path.rstrip("/").rsplit("/", 1)[-1]
    if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", path) and path != "signin":
        pages.append(st.Page(draw, title=title, url_path=path))
    st.navigation(pages, position="hidden").run()
    st.stop()


def gate() -> None:
    """Stop the run unless the viewer may see the dashboard. No-op when secrets have no [auth] section.

    Call once at the top of app.py, after set_page_config and before st.navigation, so an unknown viewer
    gets no page, no sidebar and no data."""
    state = loaded_secrets()
    if state.broken:  # fail closed: nobody in, whoever they are (the log says why)
        _only(_broken_page, "Not available")
    if not state.section("auth"):
        return
    if warm.is_warm_session():  # the server's own warm-up run (ui/warm.py): no user, its output is discarded
        return
    if not st.user.get("is_logged_in"):  # .get: absent when the session has no user info yet
        _only(_signin_page, "Sign in")
    try:
        policy = access.policy_from(settings(), os.environ)
    except ValueError as exc:  # a mistake in the allow-list: refuse everyone and tell the administrator
        _LOG.error("allow-list is invalid: %s", exc)
        policy = access.AccessPolicy()
    decision = access.decide(st.user.to_dict(), policy)
    if not decision.allowed:
        _LOG.info("refused %s: %s", decision.email, decision.reason)
        _only(lambda: _refused_page(decision), "No access")
    with st.sidebar:
        st.caption(f"Signed in as {_code(decision.email or '')}")
        st.button("Sign out", icon=":material/logout:", key="auth_sign_out", on_click=st.logout)


def disclosure_on() -> bool:
    """Disclosure control: [workforce] disclosure_control = true or $WORKFORCE_DISCLOSURE_CONTROL=1; always on
    when the secrets are broken (a syntax error must not switch suppression off)."""
    state = loaded_secrets()
    return state.broken or disclosure.enabled(state.section("workforce"), os.environ)


def last_refresh(data_dir) -> datetime | None:
    """When the data directory's files last changed (newest modification time), UTC."""
    items = loader.snapshot_id(data_dir)[1]
    if not items:
        return None
    return datetime.fromtimestamp(max(i[2] for i in items) / 1e9, tz=UTC)


def banner(ctx) -> None:
    """'Data as at' (latest month loaded, files' last change), the disclosure note and the contact link, in
    the sidebar. ctx is ui.shell.Context or None."""

    sb = st.sidebar
    if ctx is not None and ctx.periods:
        when = last_refresh(ctx.data_dir)
        refreshed = f"; files updated {when.astimezone(LONDON):%d %b %Y %H:%M}" if when else ""
        sb.caption(f":material/event: Data as at **{period_label(ctx.periods[-1])}** "
                   f"(latest month loaded){refreshed}")
    if disclosure_on():
        sb.caption(f":material/visibility_off: {disclosure.NOTE}")
    c = contact()
    if c:
        sb.link_button(c[0], c[1], icon=":material/mail:")


def suppressed_rows(df: pd.DataFrame) -> pd.Series:
    """True where disclosure control hid something in a metrics row (all False when it is off)."""
    col = disclosure.SUPPRESSED_COLUMN
    return df[col].ne("") if col in df else pd.Series(False, index=df.index)
