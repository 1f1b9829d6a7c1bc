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


@pytest.mark.parametrize("claims,allowed", [
    ({"email": "jane.doe@nhs.net"}, True),
    ({"email": "Jane.Doe@NHS.NET"}, True),                   # case does not matter
    ({"email": "someone@example-icb.nhs.uk"}, True),
    ({"email": "analyst@partner.org.uk"}, True),             # single address listed
    ({"email": "other@partner.org.uk"}, False),              # same domain, not listed
    ({"email": "x@evil-nhs.net"}, False),                    # suffix is not the domain
    ({"email": "x@nhs.net.evil.com"}, False),                # prefix is not the domain
    ({"email": "x@sub.nhs.net"}, False),                     # sub-domains must be listed themselves
    ({"email": "nhs.net"}, False),                           # not an address
    ({"email": "x@nhs.net", "email_verified": False}, False),  # provider says unverified
    ({"email": "x@nhs.net", "email_verified": True}, True),
    ({"preferred_username": "jane@nhs.net"}, True),          # Entra without the optional email claim
    ({"sub": "12345"}, False),                               # no address at all
    ({}, False),
])
def test_decide(claims, allowed):
    assert decide(claims, POLICY).allowed is allowed


def test_empty_allow_list_lets_nobody_in():
    d = decide({"email": "jane@nhs.net"}, AccessPolicy())
    assert not d.allowed and "no allow-list" in d.reason


def test_refusal_reasons_are_plain_words():
    assert decide({"sub": "1"}, POLICY).reason == "your sign-in did not give an e-mail address"
    d = decide({"email": "x@other.org"}, POLICY)
    assert d.email == "x@other.org" and "not on the dashboard's allow-list" in d.reason


def test_email_of_prefers_email_claim():
    assert email_of({"email": "a@b.org", "preferred_username": "c@d.org"}) == "a@b.org"
    assert email_of({"email": "not-an-address", "upn": "u@b.org"}) == "u@b.org"


def test_example_secrets_file_is_valid_and_holds_no_real_secret():
    import tomllib

    from lib.sharing import disclosure
    from tests.conftest import REPO
    ex = tomllib.loads((REPO / ".streamlit" / "secrets.example.toml").read_text())
    assert set(ex["auth"]) >= {"redirect_uri", "cookie_secret", "client_id", "client_secret", "server_metadata_url"}
    assert ex["auth"]["redirect_uri"].endswith("/oauth2callback")
    assert "REPLACE" in ex["auth"]["cookie_secret"] and "REPLACE" in ex["auth"]["client_secret"]
    p = policy_from(ex["workforce"], {})
    assert decide({"email": "a@nhs.net"}, p).allowed and not decide({"email": "a@gmail.com"}, p).allowed
    assert disclosure.enabled(ex["workforce"], {}) is True
