import pytest

from compliance.rules import rules_forget


@pytest.fixture(autouse=True)
def _rules_fresh():
    """Each test reads the rules its own transaction holds; rows a test added go with its rollback."""
    rules_forget()
    yield
    rules_forget()
