"""Allow-list decisions (lib.sharing.access): hand-written cases, including the near misses an attacker would try."""
import pytest

from lib.sharing import access
from lib.sharing.access import AccessPolicy, decide, email_of, parse_list, policy_from

POLICY = AccessPolicy(frozenset({"nhs.net", "example-icb.nhs.uk"}), frozenset({"analyst@partner.org.uk"}))


@pytest.mark.parametrize("value,expected", [
    (None, []),
    ("", []),
    ("nhs.net", ["nhs.net"]),
    ("NHS.net, example-icb.nhs.uk;other.org  more.org", ["nhs.net", "example-icb.nhs.uk", "other.org", "more.org"]),
    (["A.org", " b.org ", "a.org"], ["a.org", "b.org"]),
])
def test_parse_list(value, expected):
    assert parse_list(value) == expected


def test_policy_from_secrets_wins_over_environment():
    env = {access.ENV_DOMAINS: "env.org", access.ENV_EMAILS: "x@env.org"}
    p = policy_from({"allowed_domains": ["nhs.net"]}, env)
    assert p.domains == {"nhs.net"}
    assert p.emails == {"x@env.org"}  # not set in secrets: taken from the environment
    assert policy_from({}, env).domains == {"env.org"}
    assert policy_from(None, None).empty


@pytest.mark.parametrize("bad", ["not a domain!", "nhs", "x@y@nhs.net"])
def test_policy_from_names_a_bad_domain(bad):
    with pytest.raises(ValueError, match="allowed_domains"):
        policy_from({"allowed_domains": [bad]})


def test_policy_from_names_a_bad_address():
    with pytest.raises(ValueError, match="allowed_emails"):
        policy_from({"allowed_emails": "nobody"})


def test_domain_may_be_written_with_at_sign():
    assert policy_from({"allowed_domains": "@nhs.net"}).domains == {"nhs.net"}


V = {"email_verified": True}
TENANT = "3f2a1b4c-5d6e-7f80-91a2-b3c4d5e6f708"
ENTRA = AccessPolicy(POLICY.domains, POLICY.emails, TENANT)


@pytest.mark.parametrize("claims,allowed", [
    ({"email": "jane.doe@nhs.net", **V}, True),
    ({"email": "Jane.Doe@NHS.NET", **V}, True),              # case does not matter
    ({"email": "someone@example-icb.nhs.uk", **V}, True),
    ({"email": "analyst@partner.org.uk", **V}, True),        # single address listed
    ({"email": "other@partner.org.uk", **V}, False),         # same domain, not listed
    ({"email": "x@evil-nhs.net", **V}, False),               # suffix is not the domain
    ({"email": "x@nhs.net.evil.com", **V}, False),           # prefix is not the domain
    ({"email": "x@sub.nhs.net", **V}, False),                # sub-domains must be listed themselves
    ({"email": "nhs.net", **V}, False),                      # not an address
    ({"email": "x@nhs.net", "email_verified": "true"}, True),   # some providers send a string
    ({"email": "x@nhs.net", "email_verified": "TRUE"}, True),
    ({"sub": "12345"}, False),                               # no address at all
    ({}, False),
])
def test_decide(claims, allowed):
    assert decide(claims, POLICY).allowed is allowed


# Issue 13 probe 4: each of these was admitted before; a verified e-mail is required for the claim used.
@pytest.mark.parametrize("claims", [
    {"email": "x@nhs.net"},                                  # no email_verified claim
    {"email": "x@nhs.net", "email_verified": False},
    {"email": "x@nhs.net", "email_verified": "false"},
    {"email": "x@nhs.net", "email_verified": 0},
    {"email": "x@nhs.net", "email_verified": 1},             # not a boolean true
    {"email": "x@nhs.net", "email_verified": "1"},
    {"email": "x@nhs.net", "email_verified": "yes"},
    {"email": "x@nhs.net", "email_verified": [True]},
    {"email": "x@gmail.com", "email_verified": False, "preferred_username": "jane@nhs.net"},
    {"email": "x@gmail.com", "email_verified": True, "preferred_username": "jane@nhs.net"},  # email wins
    {"preferred_username": "jane@nhs.net"},                  # no Entra tenant configured
    {"upn": "jane@nhs.net"},
    {"preferred_username": "jane@nhs.net", "email_verified": True},  # verified says nothing of this claim
])
def test_unverified_or_user_editable_claims_are_refused(claims):
    d = decide(claims, POLICY)
    assert not d.allowed, d


def test_entra_upn_counts_only_for_the_configured_tenant():
    upn = {"preferred_username": "jane@nhs.net"}
    assert decide({**upn, "tid": TENANT}, ENTRA).allowed
    assert decide({"upn": "jane@nhs.net", "tid": TENANT.upper()}, ENTRA).allowed
    assert not decide({**upn, "tid": "00000000-0000-0000-0000-000000000000"}, ENTRA).allowed  # another tenant
    assert not decide(upn, ENTRA).allowed                                                     # no tid
    assert not decide({**upn, "tid": TENANT}, POLICY).allowed                                 # none configured
    # an unverified email beside it is ignored, the UPN from the tenant is used
    d = decide({"email": "x@gmail.com", "email_verified": False, **upn, "tid": TENANT}, ENTRA)
    assert d.allowed and d.email == "jane@nhs.net"


def test_tenant_setting_is_checked():
    assert policy_from({"allowed_domains": "nhs.net", "entra_tenant_id": TENANT.upper()}).entra_tenant == TENANT
    assert policy_from({}, {access.ENV_TENANT: TENANT}).entra_tenant == TENANT
    with pytest.raises(ValueError, match="entra_tenant_id"):
        policy_from({"entra_tenant_id": "contoso.onmicrosoft.com"})


def test_empty_allow_list_lets_nobody_in():
    d = decide({"email": "jane@nhs.net", **V}, AccessPolicy())
    assert not d.allowed and "no allow-list" in d.reason


def test_refusal_reasons_are_plain_words():
    assert decide({"sub": "1"}, POLICY).reason == "your sign-in did not give an e-mail address"
    d = decide({"email": "x@other.org", **V}, POLICY)
    assert d.email == "x@other.org" and "not on the dashboard's allow-list" in d.reason
    d = decide({"email": "x@nhs.net", "email_verified": "false"}, POLICY)
    assert d.email == "x@nhs.net" and "not verified" in d.reason


def test_email_of_prefers_verified_email_claim():
    assert email_of({"email": "a@b.org", **V, "preferred_username": "c@d.org", "tid": TENANT}, TENANT) == "a@b.org"
    assert email_of({"email": "not-an-address", **V, "upn": "u@b.org", "tid": TENANT}, TENANT) == "u@b.org"
    assert email_of({"email": "not-an-address", **V, "upn": "u@b.org"}) is None


def test_example_secrets_file_is_valid_and_holds_no_real_secret():
    import tomllib

    from lib.sharing import disclosure
    from tests.conftest import REPO
    ex = tomllib.loads((REPO / ".streamlit" / "secrets.example.toml").read_text())
    assert set(ex["auth"]) >= {"redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url"}
    assert ex["auth"]["redirect_uri"].endswith("/oauth2callback")
    assert "REPLACE" in ex["auth"]["cookie_secret"] and "REPLACE" in ex["auth"]["client_secret"]
    p = policy_from(ex["workforce"], {})
    assert decide({"email": "a@nhs.net", **V}, p).allowed and not decide({"email": "a@gmail.com", **V}, p).allowed
    assert disclosure.enabled(ex["workforce"], {}) is True
