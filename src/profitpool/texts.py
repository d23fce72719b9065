"""Sentences profitpool says in several places, each written once, in Chinese and English.

The command line, the API, the pages, the monthly disclosure and the
simulator's report all show the price of a point; wherever they do, they say
what a burn does to it (docs/rules.md section 5). Saying it from one place
keeps every copy the same.
"""

from __future__ import annotations

from typing import Final, NamedTuple


class Bilingual(NamedTuple):
    """One sentence in Chinese (first: members and operators read it) and in English."""

    zh: str
    en: str


BURN_NOTE: Final = Bilingual(
    "销毁会抬高积分价格，但不会改变任何持有人的积分价值。",
    "A burn raises the price per point but changes no holding's value.",
)
"""Said wherever the price is shown (docs/rules.md section 5)."""
