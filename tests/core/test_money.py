import pytest

from core.exceptions import DomainError
from core.money import parse_amount_to_cents
from core.templatetags.core_tags import money


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("45", 4500),
        ("45.5", 4550),
        ("1,250.50", 125050),
        ("1,000,000", 100000000),
        ("$7", 700),
        ("0.01", 1),
        ("-5", -500),
    ],
)
def test_typed_amounts_become_cents(typed, cents):
    assert parse_amount_to_cents(typed) == cents


@pytest.mark.parametrize("typed", ["abc", "", "12.345", "1e5", "1e99999999", "NaN", "inf", "1" * 31, "4 5"])
def test_garbage_is_refused_with_a_clear_message(typed):
    with pytest.raises(DomainError, match=r"Enter an amount|two decimal places"):
        parse_amount_to_cents(typed)


@pytest.mark.parametrize("typed", ["4,5,0", "12,50", "1,2345", ",450", "450,", "1,,000"])
def test_commas_only_between_thousands(typed):
    # "4,5,0" is not $450 and "12,50" is not $1,250: a misplaced comma is a typo to point out, not to guess
    with pytest.raises(DomainError, match="commas only between thousands"):
        parse_amount_to_cents(typed)


@pytest.mark.parametrize(
    ("cents", "shown"), [(0, "$0.00"), (5, "$0.05"), (123456, "$1,234.56"), (-250, "-$2.50"), (None, "—")]
)
def test_money_is_shown_one_way(cents, shown):
    assert money(cents) == shown


def test_other_currencies_keep_their_code():
    assert money(1000, "CHF") == "10.00 CHF"
    assert money(1000, "EUR") == "€10.00"
