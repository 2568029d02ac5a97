"""The grid library needs no database: replace the suite's autouse database fixture."""
import pytest


@pytest.fixture(autouse=True)
def db_session():
    yield None
