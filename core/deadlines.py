"""Business-day deadlines: revocations must be honoured within 10 business days (FCC)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

REVOCATION_BUSINESS_DAYS = 10
EASTERN = ZoneInfo("America/New_York")


def add_business_days(start: date, days: int) -> date:
    """``start`` plus ``days`` business days, skipping weekends and US federal holidays."""
    federal = holidays.US(years=range(start.year, start.year + 2))
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5 and current not in federal:
            left -= 1
    return current


def revocation_due(received_at: datetime) -> datetime:
    """End of the 10th business day after ``received_at`` (US Eastern), as an aware datetime."""
    local_day = received_at.astimezone(EASTERN).date()
    due_day = add_business_days(local_day, REVOCATION_BUSINESS_DAYS)
    return datetime.combine(due_day, time(23, 59, 59), EASTERN)
