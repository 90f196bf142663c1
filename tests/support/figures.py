"""What no outside-the-guide reply may state: a figure, amount, date or duration."""

from __future__ import annotations

import re

# A digit not inside a name ("AI2"), a currency sign, "two years", a month.
FIGURE = re.compile(
    r"(?<![a-z])\d|[$€£]|\b(one|two|three|four|five|six|twelve|eighteen)\s+"
    r"(year|month|week)s?\b"
    r"|\b(january|february|march|april|may|june|july|august|september|october"
    r"|november|december)\b",
    re.IGNORECASE,
)
