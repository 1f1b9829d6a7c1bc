"""Who may see a shared deployment: the allow-list of e-mail domains and addresses (pure functions).

Sign-in itself is Streamlit's (OpenID Connect); this module only decides whether a signed-in identity is
allowed. Settings come from the `[workforce]` section of secrets.toml or the environment:

    allowed_domains  WORKFORCE_ALLOWED_DOMAINS  e.g. "nhs.net, example-icb.nhs.uk"
    allowed_emails   WORKFORCE_ALLOWED_EMAILS   e.g. "analyst@partner.org.uk"

    entra_tenant_id  WORKFORCE_ENTRA_TENANT_ID  the Microsoft Entra tenant (directory) ID, a GUID

A list may be a TOML array or one string split on commas, semicolons or whitespace. A secrets value wins
over the environment. With sign-in on and both lists empty nobody is let in: the allow-list must be stated.

Which address counts: the `email` claim only when the provider says it is verified (`email_verified` true, as
a boolean or the string "true"; "false", 0, "1" or a missing claim are not verified). Entra does not send
`email_verified`; its `preferred_username` / `upn` hold the user principal name, which only the tenant's
administrators can set (to a domain verified in the tenant). So those claims count only when `entra_tenant_id`
is configured and the token's `tid` claim is that tenant; elsewhere `preferred_username` is often editable by
the user and is never used.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

ENV_DOMAINS = "WORKFORCE_ALLOWED_DOMAINS"
ENV_EMAILS = "WORKFORCE_ALLOWED_EMAILS"
ENV_TENANT = "WORKFORCE_ENTRA_TENANT_ID"
# Claims tried in order for the user's address: `email` (if verified), then, for the configured Entra tenant
# only, the user principal name.
EMAIL_CLAIMS = ("email", "preferred_username", "upn")
ENTRA_CLAIMS = ("preferred_username", "upn")
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

_SPLIT = re.compile(r"[,;\s]+")
# One @, a non-empty local part, a dotted domain of letters, digits and hyphens.
_EMAIL = re.compile(r"^[^@\s]+@([a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+)$")


@dataclass(frozen=True)
class AccessPolicy:
    domains: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()
    entra_tenant: str | None = None  # tenant GUID, lower case: preferred_username/upn count for it only

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

    tenant = settings.get("entra_tenant_id") or env.get(ENV_TENANT) or None
    if tenant is not None:
        tenant = str(tenant).strip().lower()
        if not _GUID.match(tenant):
            raise ValueError(f"entra_tenant_id: {tenant!r} is not a tenant ID (a GUID such as "
                             "00000000-0000-0000-0000-000000000000, from the Entra admin centre)")
    return AccessPolicy(frozenset(_domain(d) for d in pick("allowed_domains", ENV_DOMAINS)),
                        frozenset(_address(e) for e in pick("allowed_emails", ENV_EMAILS)), tenant)


def verified(value: object) -> bool:
    """An `email_verified` claim that says yes: True, or the string "true" (any case). Nothing else."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _clean(v: object) -> str | None:
    if isinstance(v, str) and _EMAIL.match(v.strip().lower()):
        return v.strip().lower()
    return None


def address_claim(claims: Mapping[str, object], entra_tenant: str | None = None) -> tuple[str | None, str | None]:
    """(address, claim it came from) that may be trusted; (None, None) if none may.

    `email` counts when `email_verified` is true; `preferred_username` / `upn` count only when `entra_tenant` is
    set and the token's `tid` is that tenant."""
    email = _clean(claims.get("email"))
    if email and verified(claims.get("email_verified")):
        return email, "email"
    tid = str(claims.get("tid") or "").strip().lower()
    if entra_tenant and tid == entra_tenant:
        for key in ENTRA_CLAIMS:
            v = _clean(claims.get(key))
            if v:
                return v, key
    return None, None


def email_of(claims: Mapping[str, object], entra_tenant: str | None = None) -> str | None:
    """The user's trusted address from identity-token claims, lower case (see address_claim)."""
    return address_claim(claims, entra_tenant)[0]


def _any_address(claims: Mapping[str, object]) -> str | None:
    """Any address-looking claim, for the refusal page and the log only (never for a decision)."""
    for key in EMAIL_CLAIMS:
        v = _clean(claims.get(key))
        if v:
            return v
    return None


def decide(claims: Mapping[str, object], policy: AccessPolicy) -> Decision:
    """Allowed when the address is listed or its domain is listed exactly (sub-domains must be listed too)."""
    email = email_of(claims, policy.entra_tenant)
    if policy.empty:
        return Decision(False, email or _any_address(claims), "no allow-list is configured for this dashboard")
    if email is None:
        shown = _any_address(claims)
        if shown is None:
            return Decision(False, None, "your sign-in did not give an e-mail address")
        return Decision(False, shown, "your identity provider has not verified this e-mail address")
    if email in policy.emails:
        return Decision(True, email, "address is on the allow-list")
    if email.rsplit("@", 1)[1] in policy.domains:
        return Decision(True, email, "domain is on the allow-list")
    return Decision(False, email, "this address is not on the dashboard's allow-list")
