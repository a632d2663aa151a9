"""Money as `Decimal` in the currency's minor units; never float.

`Money` is an immutable amount plus ISO 4217 currency. Amounts are quantized to the
currency's minor unit on construction and refused when they would lose digits, so an
amount like 10.005 CNY is an error rather than a silent rounding.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from fieldapp.core.errors import BadInput

# Minor-unit exponents (ISO 4217) for the currencies the institutions use.
MINOR_UNITS: dict[str, int] = {
    "CNY": 2, "HKD": 2, "TWD": 2, "USD": 2, "EUR": 2, "GBP": 2, "INR": 2, "AUD": 2,
    "SGD": 2, "CAD": 2, "JPY": 0, "KRW": 0, "VND": 0, "IDR": 2, "BHD": 3, "KWD": 3,
}


def minor_units(currency: str) -> int:
    try:
        return MINOR_UNITS[currency]
    except KeyError:
        raise BadInput(f"unknown currency {currency!r}; known: {', '.join(sorted(MINOR_UNITS))}",
                       field="currency") from None


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def to_decimal(value: object, *, field: str = "amount") -> Decimal:
    """Parse a wire value (str or int or Decimal) into a Decimal; floats are refused."""
    if isinstance(value, bool) or isinstance(value, float):
        raise BadInput("amounts must be given as strings or integers, not floating point",
                       field=field)
    try:
        result = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise BadInput(f"{value!r} is not a number", field=field) from None
    if not result.is_finite():
        raise BadInput(f"{value!r} is not a finite number", field=field)
    return result


def exact(amount: Decimal, currency: str, *, field: str = "amount") -> Decimal:
    """`amount` quantized to the currency's minor unit; refuses amounts with more digits."""
    q = quantum(currency)
    try:
        quantized = amount.quantize(q, rounding=ROUND_HALF_EVEN)
    except InvalidOperation:  # more digits than the decimal context holds, e.g. 1e308
        raise BadInput(f"{amount} is too large an amount", field=field) from None
    if quantized != amount:
        raise BadInput(f"{amount} has more decimals than {currency} allows ({minor_units(currency)})",
                       field=field)
    return quantized


@dataclass(frozen=True, order=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", exact(to_decimal(self.amount), self.currency))

    @classmethod
    def of(cls, amount: object, currency: str) -> "Money":
        return cls(to_decimal(amount), currency)

    def __add__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def _same(self, other: "Money") -> None:
        if not isinstance(other, Money) or other.currency != self.currency:
            raise BadInput(f"cannot combine {self.currency} with {getattr(other, 'currency', other)!r}")

    @property
    def minor(self) -> int:
        """The amount as an integer count of minor units (fen, cents)."""
        return int(self.amount.scaleb(minor_units(self.currency)))

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> "Money":
        return cls(Decimal(minor).scaleb(-minor_units(currency)), currency)

    def __str__(self) -> str:
        return f"{self.amount:,.{minor_units(self.currency)}f} {self.currency}"
