from tests.e2e.conftest import env  # noqa: F401
