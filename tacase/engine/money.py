"""Money as Decimal with an ISO 4217 currency; the minor units bound the decimal places."""

from __future__ import annotations

import functools
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import get_currency_precision, list_currencies

# Codes for testing, precious metals and "no currency" are not money a State can budget in.
_NOT_BUDGET_CURRENCIES = frozenset({"XXX", "XTS", "XAU", "XAG", "XPD", "XPT", "XDR", "XBA", "XBB",
                                    "XBC", "XBD", "XSU", "XUA"})
MAX_AMOUNT = Decimal("1000000000000")  # one trillion: far above any request, well inside NUMERIC(18,3)


class CurrencyError(ValueError):
    pass


@functools.cache
def currencies() -> frozenset[str]:
    return frozenset(
        c for c in list_currencies() if len(c) == 3 and c.isupper() and c not in _NOT_BUDGET_CURRENCIES
    )


def parse_money(amount: Any, currency: Any) -> tuple[Decimal, str]:
    if not isinstance(currency, str) or currency.upper() not in currencies():
        raise CurrencyError("currency must be an ISO 4217 code such as USD, EUR or CHF")
    currency = currency.upper()
    if isinstance(amount, bool) or not isinstance(amount, int | str | Decimal | float):
        raise CurrencyError("amount must be a decimal number")
    try:
        value = Decimal(str(amount).strip())
    except InvalidOperation:
        raise CurrencyError("amount must be a decimal number") from None
    if not value.is_finite() or value < 0:
        raise CurrencyError("amount must be zero or more")
    if value > MAX_AMOUNT:
        raise CurrencyError(f"amount must be at most {MAX_AMOUNT}")
    places = get_currency_precision(currency)
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    if -exponent > places and value != value.quantize(Decimal(1).scaleb(-places)):
        raise CurrencyError(f"{currency} amounts have at most {places} decimal places")
    return value.quantize(Decimal(1).scaleb(-places)), currency
