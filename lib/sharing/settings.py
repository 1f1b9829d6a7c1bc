"""The shared deployment's secrets (.streamlit/secrets.toml) read and checked as plain Python, failing closed.

A dashboard shared with ICB leaders is configured by its secrets file: `[auth]` turns sign-in on, `[workforce]`
holds the allow-list and the disclosure-control switch. A mistake there must never open the dashboard, so:

* a secrets file that is configured but cannot be read (a TOML syntax error, no permission, not UTF-8, a
  `--secrets.files` path that does not exist) makes the configuration *broken*;
* so does an `[auth]` section whose `cookie_secret` is missing, the placeholder from secrets.example.toml, or
  short or repetitive enough to guess (the cookie secret signs the identity cookie: whoever knows it can
  claim to be anyone);
* so does a secrets file that names a table (or key) the product does not know, such as `[Auth]`, `[oauth]` or a
  typo: the settings meant for it are not in force, so the file cannot be trusted;
* when a secrets file is named explicitly (`--secrets.files`, or `[secrets] files` in a config), one that is
  empty or holds only comments is broken too: a half-finished rewrite must not read as "no sign-in";
* under the production configuration (`WORKFORCE_DEPLOYMENT=production`, exported by deploy/run.sh) every run
  needs a complete `[auth]` table (redirect_uri, a strong cookie_secret, a provider's client_id, client_secret
  and server_metadata_url): a production replica never serves without sign-in;
* a broken configuration refuses every viewer and keeps disclosure control on (ui.auth does that), and
  `problem` says why in words for the server log (it names files, so it is never shown to a viewer).

Nothing here imports streamlit: ui.auth passes the configured file list in and the values Streamlit loaded.
"""
from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# The placeholder shipped in .streamlit/secrets.example.toml, and words that mark any placeholder.
EXAMPLE_COOKIE_SECRET = "REPLACE-with-64-hex-characters-from-secrets.token_hex-32"
PLACEHOLDER_WORDS = ("replace", "change", "example", "placeholder", "secret", "password", "your-", "xxxx", "todo")
MIN_COOKIE_SECRET_CHARS = 32
MIN_DISTINCT_CHARS = 10  # secrets.token_hex(16) has ~14 distinct characters; "abab..." or "x" * 40 has 2 or 1
# The top-level tables this product reads; anything else in a secrets file is a mistake (a typo, another app's
# settings) and refuses every viewer. Keys are case-sensitive, as in TOML: [Auth] is not [auth].
KNOWN_TABLES = ("auth", "workforce")
ENV_DEPLOYMENT = "WORKFORCE_DEPLOYMENT"
AUTH_PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")


@dataclass(frozen=True)
class Secrets:
    """Secrets as loaded, and why they cannot be trusted (None when they can)."""
    values: Mapping[str, object] = field(default_factory=dict)
    problem: str | None = None

    @property
    def broken(self) -> bool:
        return self.problem is not None

    def section(self, name: str) -> dict:
        s = self.values.get(name)
        return dict(s) if isinstance(s, Mapping) else {}


def cookie_secret_problem(value: object) -> str | None:
    """Why a cookie secret is unsafe, or None. Generate a good one with
    `python -c "import secrets; print(secrets.token_hex(32))"`."""
    if not isinstance(value, str) or not value.strip():
        return "[auth] cookie_secret is missing"
    s = value.strip()
    low = s.lower()
    if s == EXAMPLE_COOKIE_SECRET or any(w in low for w in PLACEHOLDER_WORDS):
        return "[auth] cookie_secret is a placeholder (as in secrets.example.toml)"
    if len(s) < MIN_COOKIE_SECRET_CHARS:
        return (f"[auth] cookie_secret is {len(s)} characters long; at least {MIN_COOKIE_SECRET_CHARS} random "
                "characters are needed")
    if len(set(s)) < MIN_DISTINCT_CHARS:
        return "[auth] cookie_secret is too repetitive to be random"
    return None


def production(environ: Mapping[str, str] | None = None) -> bool:
    """The production configuration: $WORKFORCE_DEPLOYMENT set (deploy/run.sh exports "production"). Any value
    but "" or "local" counts, so a misspelt value fails closed (sign-in required)."""
    value = (os.environ if environ is None else environ).get(ENV_DEPLOYMENT, "").strip().lower()
    return value not in ("", "local")


def database_url_problem(value: object) -> str | None:
    """Why [workforce] database_url (the scenario library's database) cannot be used, or None (absent = SQLite in
    the store). The address itself is never repeated: it may hold a password."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        return "[workforce] database_url must be a database address such as postgresql://user@host/dbname"
    scheme = value.strip().split(":", 1)[0].lower()
    if scheme not in ("postgresql", "postgresql+psycopg", "postgres", "sqlite"):
        return (f"[workforce] database_url names a {scheme[:20]!r} database; the scenario library uses "
                "postgresql://... or sqlite:///path")
    return None


def _auth_incomplete(auth: Mapping) -> str | None:
    """Why [auth] cannot sign anyone in (production needs it complete), or None."""
    missing = [k for k in ("redirect_uri",) if not str(auth.get(k) or "").strip()]
    providers = [auth] + [v for v in auth.values() if isinstance(v, Mapping)]  # [auth] itself or [auth.NAME]
    if not any(all(str(p.get(k) or "").strip() for k in AUTH_PROVIDER_KEYS) for p in providers):
        missing.append("a provider's " + ", ".join(AUTH_PROVIDER_KEYS))
    return f"[auth] is incomplete: {'; '.join(missing)} missing" if missing else None


def validate(values: Mapping[str, object] | None, *, named: bool = False, production: bool = False) -> Secrets:
    """Check loaded secrets: only known tables, [auth] and [workforce] tables, the cookie secret strong.

    `named`: a secrets file was named explicitly, so it must hold settings (empty or comments only is broken).
    `production`: the production configuration, which needs a complete [auth] (sign-in) on every run."""
    values = dict(values or {})
    problems: list[str] = []
    unknown = sorted(str(k) for k in values if k not in KNOWN_TABLES)
    if unknown:
        problems.append("the secrets name " + ", ".join(f"[{k}]" for k in unknown) + " which this dashboard does "
                        "not know (known: " + ", ".join(f"[{k}]" for k in KNOWN_TABLES) + "; names are "
                        "case-sensitive)")
    elif named and not values:
        problems.append("the secrets file named with --secrets.files holds no settings (empty or only comments)")
    auth = values.get("auth")
    if production and not unknown and not isinstance(auth, Mapping):
        problems.append(f"the production configuration (${ENV_DEPLOYMENT}) needs an [auth] table: sign-in is "
                        "required")
    if auth is not None:
        if not isinstance(auth, Mapping):
            problems.append("[auth] must be a table of settings")
        else:
            p = cookie_secret_problem(auth.get("cookie_secret"))
            if p:
                problems.append(p)
            if production and (p := _auth_incomplete(auth)):
                problems.append(p)
    wf = values.get("workforce")
    if wf is not None and not isinstance(wf, Mapping):
        problems.append("[workforce] must be a table of settings")
    elif isinstance(wf, Mapping) and (p := database_url_problem(wf.get("database_url"))):
        problems.append(p)
    return Secrets(values, "; ".join(problems) or None)


# Parsed files keyed on (path, size, mtime): the check runs on every page run, the parse only on a change.
_CACHE: dict[tuple, tuple[dict, str | None]] = {}


def _read_one(path: Path) -> tuple[dict, str | None]:
    try:
        st = path.stat()
    except OSError as exc:
        return {}, f"secrets file {path} cannot be read: {exc.strerror or exc}"
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _CACHE:
        try:
            if path.is_dir():
                raise ValueError("is a directory (directory secrets are not supported for this dashboard)")
            _CACHE.clear() if len(_CACHE) > 16 else None
            _CACHE[key] = (tomllib.loads(path.read_text(encoding="utf-8")), None)
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, ValueError) as exc:
            _CACHE[key] = ({}, f"secrets file {path} cannot be read: {exc}")
    values, problem = _CACHE[key]
    return dict(values), problem


def read_files(paths: Sequence[str | os.PathLike], explicit: bool = False, production: bool = False) -> Secrets:
    """Read the secrets files Streamlit is configured with (later files win, key by key at the top level).

    A file that is absent is skipped, unless the list was given explicitly (`--secrets.files`): an administrator
    who names a file means it to be used, so a wrong path is broken, not "no secrets", and so is an empty one."""
    merged: dict = {}
    for p in paths:
        path = Path(p).expanduser()
        if not path.exists():
            if explicit:
                return Secrets({}, f"secrets file {path} does not exist (check --secrets.files)")
            continue
        values, problem = _read_one(path)
        if problem:
            return Secrets({}, problem)
        merged.update(values)
    return validate(merged, named=explicit, production=production)
