"""The hello report: new contacts per day."""

from datetime import UTC, datetime, timedelta

from hooks import ReportResult


def new_contacts_per_day(data, today=None):
    today = today or datetime.now(UTC).date()
    since = today - timedelta(days=29)
    rows = data.rows(
        "SELECT created_at FROM contact WHERE created_at >= :since",
        since=datetime(since.year, since.month, since.day, tzinfo=UTC),
    )
    counts = {since + timedelta(days=n): 0 for n in range(30)}
    for row in rows:
        created = row["created_at"]
        day = created.date() if hasattr(created, "date") else datetime.fromisoformat(created).date()
        if day in counts:
            counts[day] += 1
    return ReportResult(
        columns=["day", "new_contacts"],
        rows=[[day.isoformat(), count] for day, count in sorted(counts.items())],
    )
