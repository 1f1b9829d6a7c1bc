"""Who may see a shared deployment: the allow-list of e-mail domains and addresses (pure functions).

Sign-in itself is Streamlit's (OpenID Connect); this module only decides whether a signed-in identity is
allowed. Settings come from the `[workforce]` section of secrets.toml or the environment:

    allowed_domains  WORKFORCE_ALLOWED_DOMAINS  e.g. "nhs.net, example-icb.nhs.uk"
    allowed_emails   WORKFORCE_ALLOWED_EMAILS   e.g. "analyst@partner.org.uk"

A list may be a TOML array or one string split on commas, semicolons or whitespace. A secrets value wins
over the environment. With sign-in on and both lists empty nobody is let in: the allow-list must be stated.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

ENV_DOMAINS = "WORKFORCE_ALLOWED_DOMAINS"
ENV_EMAILS = "WORKFORCE_ALLOWED_EMAILS"
# Claims tried in order for the user's address. Entra puts the UPN in preferred_username and sends `email`
# only when the optional claim is configured; in a single-tenant app the tenant controls both.
EMAIL_CLAIMS = ("email", "preferred_username", "upn")

_SPLIT = re.compile(r"[,;\s]+")
# One @, a non-empty local part, a dotted domain of letters, digits and hyphens.
_EMAIL = re.compile(r"^[^@\s]+@([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+)$")


@dataclass(frozen=True)
class AccessPolicy:
    domains: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return not self.domains and not self.emails


@dataclass(frozen=True)
class Decision:
    allowed: bool
    email: str | None
    reason: str  # plain words for the refusal page and the log


def parse_list(value: object) -> list[str]:
    """A setting as a clean lower-case list: a string split on , ; or spaces, or a list of strings."""
    if value is None:
        return []
    items: Iterable[object] = _SPLIT.split(value) if isinstance(value, str) else value  # type: ignore[assignment]
    if not isinstance(items, Iterable):
        raise ValueError(f"expected a list or a comma-separated string, got {type(value).__name__}")
    out = []
    for it in items:
        s = str(it).strip().lower()
        if s and s not in out:
            out.append(s)
    return out


def _domain(d: str) -> str:
    d = d.lstrip("@").rstrip(".")
    if not _EMAIL.match(f"x@{d}"):
        raise ValueError(f"allowed_domains: {d!r} is not an e-mail domain (write it like nhs.net)")
    return d


def _address(e: str) -> str:
    if not _EMAIL.match(e):
        raise ValueError(f"allowed_emails: {e!r} is not an e-mail address")
    return e


def policy_from(settings: Mapping[str, object] | None, env: Mapping[str, str] | None = None) -> AccessPolicy:
    """The allow-list from the secrets section (first) or environment. Raises ValueError naming a bad entry."""
    settings = settings or {}
    env = env or {}

    def pick(key: str, env_key: str) -> list[str]:
        v = settings.get(key)
        return parse_list(v if v not in (None, "", []) else env.get(env_key))

    return AccessPolicy(frozenset(_domain(d) for d in pick("allowed_domains", ENV_DOMAINS)),
                        frozenset(_address(e) for e in pick("allowed_emails", ENV_EMAILS)))


def email_of(claims: Mapping[str, object]) -> str | None:
    """The user's address from identity-token claims, lower case; None if no claim holds an address."""
    for key in EMAIL_CLAIMS:
        v = claims.get(key)
        if isinstance(v, str) and _EMAIL.match(v.strip().lower()):
            return v.strip().lower()
    return None


def decide(claims: Mapping[str, object], policy: AccessPolicy) -> Decision:
    """Allowed when the address is listed or its domain is listed exactly (sub-domains must be listed too)."""
    email = email_of(claims)
    if policy.empty:
        return Decision(False, email, "no allow-list is configured for this dashboard")
    if email is None:
        return Decision(False, None, "your sign-in did not give an e-mail address")
    if claims.get("email_verified") is False and str(claims.get("email") or "").strip().lower() == email:
        return Decision(False, email, "your identity provider has not verified this e-mail address")
    if email in policy.emails:
        return Decision(True, email, "address is on the allow-list")
    if email.rsplit("@", 1)[1] in policy.domains:
        return Decision(True, email, "domain is on the allow-list")
    return Decision(False, email, "this address is not on the dashboard's allow-list")
