"""Amounts as people read them: "£1,200.00", "€950.00", "1,200.00 CHF" — thousands separated, two decimals."""

from decimal import Decimal

from django import template

register = template.Library()

# Currencies whose sign goes before the amount; any other shows its ISO code after it.
SIGNS = {"GBP": "£", "EUR": "€", "USD": "$"}


@register.filter
def money(amount, currency):
    if amount is None:
        return ""
    figures = f"{Decimal(amount):,.2f}"
    sign = SIGNS.get((currency or "").upper())
    if sign:
        return f"-{sign}{figures[1:]}" if figures.startswith("-") else f"{sign}{figures}"
    return f"{figures} {currency}".strip()
