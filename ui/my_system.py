"""A leader's own system (issue 24): one link opens its summary on Headlines, and the browser can remember it.

* The link: ?area=CODE (or ?system=CODE) on the app's address. The code is checked against the footprint's list of
  systems (lib.data.geography through ui.state), never a pattern; a system of another vintage opens what it
  became, with a notice.
* Remembering: a first-party cookie holding only the system's code (no name, no person), written by a tiny
  st.components.v2 component when the leader presses "Remember" and removed by "Forget". Streamlit reads cookies
  itself (st.context.cookies, sent when a session starts), so no library is added: the cookie managers on PyPI are
  small unmaintained wrappers around the same document.cookie line. The value read back is checked against the
  list again, so a tampered cookie opens England, never anything else.
"""
from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st

from lib.data import geography
from ui import state

COOKIE = "workforce_my_system"
MAX_AGE_S = 365 * 24 * 3600
HOME_PATH = "home"          # app.py's url path of Headlines (the default page, also served at /)
SESSION_KEY = "_my_system"  # this session's remembered choice (cookies are read only when a session starts)

_JS = """
export default function(component) {
  const d = component.data || {};
  const name = String(d.name || '');
  const code = String(d.code || '');
  if (!name) { return; }
  const tail = '; Path=/; SameSite=Lax' + (window.location.protocol === 'https:' ? '; Secure' : '');
  if (d.action === 'remember' && code) {
    document.cookie = name + '=' + encodeURIComponent(code) + '; Max-Age=' + Number(d.max_age || 0) + tail;
  } else if (d.action === 'forget') {
    document.cookie = name + '=; Max-Age=0' + tail;
  }
}
"""

_COMPONENT = st.components.v2.component("workforce_my_system_cookie", html="", js=_JS)


def system_of(raw: object, level: str) -> str | None:
    """The system of the footprint shown that `raw` names: one of its codes (lib.data.geography.area_on_footprint,
    the command line's own check), or the code a system of another vintage became (the succession tables); None
    otherwise. A lookup in lists, never a pattern."""
    text = str(raw or "").strip()[:state.MAX_PARAM_CHARS]
    allowed = geography.area_codes(level)
    try:
        code = geography.area_on_footprint(text, level)[0]
    except ValueError:
        code = None
    if code in allowed:
        return code
    moved = state.successor(text, list(allowed))
    return moved[0] if moved is not None else None


def remembered(level: str) -> str | None:
    """The system this browser remembered (this session's choice, else the cookie sent when it started), checked
    against the footprint's systems; None when none or not a system."""
    if SESSION_KEY in st.session_state:
        return system_of(st.session_state[SESSION_KEY], level)
    return system_of(_cookie(), level)


def chosen(level: str) -> tuple[str, str]:
    """(system code or 'ENG', how: 'link', 'remembered' or ''). The link wins (?area=, else ?system=), then the
    remembered choice; a link value that is not a system says so (ui.state's notice) and England is shown."""
    allowed = ["ENG", *sorted(geography.area_codes(level))]
    for param in ("area", "system"):
        if st.query_params.get(param):   # the command line's own check of an area, then the footprint's list
            code = state.url_value(param, allowed, "ENG",
                                   check=lambda raw: geography.area_on_footprint(raw, level)[0])
            return code, "link" if code != "ENG" else ""
    mine = remembered(level)
    return (mine, "remembered") if mine else ("ENG", "")


def link(code: str) -> str:
    """The address that opens this system's summary: the app's own address (st.context.url, without the page's
    path) with ?area=CODE. Relative ('?area=CODE') when the address is not known (a test, bare mode)."""
    url = st.context.url or ""
    query = urlencode({"area": code})
    if not url:
        return "?" + query
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    if path.endswith("/" + HOME_PATH):
        path = path[: -len(HOME_PATH) - 1]
    return urlunsplit((parts.scheme, parts.netloc, path + "/", query, ""))


def write_pending() -> None:
    """Set or clear the cookie once, on the run after Remember or Forget was pressed (the component's script does
    it in the browser). Called at the top of Headlines, whatever it then shows."""
    action = st.session_state.pop("_my_system_write", None)
    if action in ("remember", "forget"):
        code = st.session_state.get(SESSION_KEY) or ""
        _COMPONENT(key=f"my_system_cookie_{action}", data={"name": COOKIE, "code": code, "action": action,
                                                            "max_age": MAX_AGE_S})


def _remember(code: str) -> None:
    st.session_state[SESSION_KEY] = code
    st.session_state["_my_system_write"] = "remember"


def _forget() -> None:
    st.session_state[SESSION_KEY] = ""
    st.session_state["_my_system_write"] = "forget"


def link_and_remember(code: str, name: str) -> None:
    """Under a system's summary: the link to bookmark (st.code has a copy button), and Remember / Forget."""
    st.markdown(f"**Link to this summary**: bookmark it or copy it (the button at the right of the address) to "
                f"open {name}'s summary straight away.")
    st.code(link(code), language=None, wrap_lines=True)
    row = st.container(horizontal=True, vertical_alignment="center")
    mine = remembered_here(code)
    if mine:
        row.button("Forget this system", key="my_system_forget", icon=":material/bookmark_remove:",
                   on_click=_forget, help="This browser opens on England again")
        row.caption("This browser opens Headlines on this system (a cookie holding only its code).")
    else:
        row.button(f"Remember {name} on this browser", key="my_system_remember", icon=":material/bookmark_add:",
                   on_click=_remember, args=(code,),
                   help="Headlines then opens on this system's summary in this browser. Only the system's code is "
                        "kept, in a cookie on this browser; nothing is stored about you.")


def remembered_here(code: str) -> bool:
    if SESSION_KEY in st.session_state:
        return st.session_state[SESSION_KEY] == code
    return _cookie() == code


def _cookie() -> str | None:
    """The cookie's value as the browser sent it when this session started (None outside a browser)."""
    return st.context.cookies.get(COOKIE)
