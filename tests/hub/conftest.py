"""The hub's tests run on both floors (``tests/floors.py``)."""

from tests.floors import floor_kind as floor_kind  # both floors, parametrized
