"""The standard reports."""

from hooks import Report, ReportResult, hookimpl


def consent_by_message_type(data):
    rows = data.rows(
        """
        SELECT mt.slug AS message_type,
               SUM(CASE WHEN c.state = 'opted_in' THEN 1 ELSE 0 END) AS opted_in,
               SUM(CASE WHEN c.state = 'opted_out' THEN 1 ELSE 0 END) AS opted_out
        FROM message_type mt LEFT JOIN consent c ON c.message_type_id = mt.id
        GROUP BY mt.slug ORDER BY mt.slug
        """
    )
    return ReportResult(
        columns=["message_type", "opted_in", "opted_out"],
        rows=[[r["message_type"], r["opted_in"] or 0, r["opted_out"] or 0] for r in rows],
    )


def events_by_source(data):
    rows = data.rows(
        """
        SELECT source, action, COUNT(*) AS events
        FROM consent_event GROUP BY source, action ORDER BY source, action
        """
    )
    return ReportResult(
        columns=["source", "action", "events"],
        rows=[[r["source"], r["action"], r["events"]] for r in rows],
    )


@hookimpl
def register_reports():
    return [
        Report(
            "consent-by-type",
            "Consent by message type",
            consent_by_message_type,
            "Current opted-in and opted-out contacts per message type.",
        ),
        Report(
            "events-by-source",
            "Consent events by source",
            events_by_source,
            "How many opt-ins and opt-outs each source recorded.",
        ),
    ]
