"""The address behind a block: believed from trusted proxies only, and never kept as such."""

from __future__ import annotations

from types import SimpleNamespace

from chatserver.clock import ManualClock
from chatserver.privacy.pseudonyms import Pseudonyms, source_address


def environ(peer: str, forwarded: str | None = None) -> dict[str, object]:
    env: dict[str, object] = {"aiohttp.request": SimpleNamespace(remote=peer)}
    if forwarded is not None:
        env["HTTP_X_FORWARDED_FOR"] = forwarded
    return env


def test_forwarded_for_counts_only_from_a_trusted_proxy() -> None:
    """A visitor cannot dodge a block by sending X-Forwarded-For itself."""
    assert source_address(environ("203.0.113.9", "198.51.100.1")) == "203.0.113.9"
    assert source_address(environ("203.0.113.9", "198.51.100.1"), ["10.0.0.0/8"]) == ("203.0.113.9")
    behind_nginx = environ("10.0.0.2", "198.51.100.7, 10.0.0.5")
    assert source_address(behind_nginx, ["10.0.0.0/8"]) == "198.51.100.7"
    assert source_address(environ("10.0.0.2", "not-an-address"), ["10.0.0.0/8"]) == (
        "not-an-address"
    )


def test_a_listed_proxy_is_recognised_on_a_dual_stack_socket() -> None:
    """A server listening on "::" sees an IPv4 proxy as ::ffff:10.0.0.2; listing "10.0.0.2"
    in trusted_proxies must still work, or every visitor would share the proxy's limits."""
    behind_nginx = environ("::ffff:10.0.0.2", "198.51.100.7")
    assert source_address(behind_nginx, ["10.0.0.2"]) == "198.51.100.7"
    assert source_address(environ("::ffff:203.0.113.9", "198.51.100.7"), ["10.0.0.2"]) == (
        "::ffff:203.0.113.9"
    )


def test_pseudonyms_are_stable_within_a_day_and_unlinkable_across_days() -> None:
    """The same address gives the same pseudonym today, a different one tomorrow, and the
    pseudonym does not contain the address."""
    clock = ManualClock(1_800_000_000)
    names = Pseudonyms(clock)
    today = names.of("198.51.100.7")
    assert names.of("198.51.100.7") == today and names.of("198.51.100.8") != today
    assert len(today) == 24 and set(today) <= set("0123456789abcdef")  # a keyed hash, no address
    clock.advance(86400)
    assert names.of("198.51.100.7") != today
