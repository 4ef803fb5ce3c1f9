"""The ledger's tests share the contracts' after-test money check (see tests/contracts/conftest.py)."""

from tests.contracts.conftest import (  # noqa: F401
    money_invariants_hold,
    pytest_configure,
    pytest_runtest_makereport,
)
