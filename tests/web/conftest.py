"""The web views are tested against the same real server as the end-to-end tests."""

from tests.e2e.conftest import env  # noqa: F401
