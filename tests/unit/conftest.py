import pytest


@pytest.fixture
def database() -> str:
    """Unit tests need at most an app context: SQLite only."""
    return "sqlite"
