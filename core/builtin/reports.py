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


def flow_performance(data):
    """Per flow: texts out, delivered, blocked, opt-outs after a text, clicks, conversions."""
    rows = data.rows(
        """
        SELECT f.name AS flow, f.success_metric AS metric,
               (SELECT COUNT(*) FROM message m WHERE m.flow_id = f.id
                 AND m.status IN ('sent', 'delivered', 'undelivered', 'failed')) AS sent,
               (SELECT COUNT(*) FROM message m WHERE m.flow_id = f.id
                 AND m.status = 'delivered') AS delivered,
               (SELECT COUNT(*) FROM message m WHERE m.flow_id = f.id
                 AND m.status = 'blocked') AS blocked,
               (SELECT COUNT(DISTINCT e.contact_id) FROM consent_event e
                 WHERE e.action = 'opt_out' AND EXISTS (
                   SELECT 1 FROM message m WHERE m.flow_id = f.id
                   AND m.contact_id = e.contact_id AND m.status IN ('sent', 'delivered')
                   AND m.updated_at <= e.occurred_at)) AS opted_out,
               (SELECT COUNT(*) FROM click k JOIN link l ON l.id = k.link_id
                 WHERE l.flow_id = f.id) AS clicks,
               (SELECT COUNT(*) FROM conversion v WHERE v.flow_id = f.id) AS conversions,
               (SELECT COUNT(*) FROM conversion v WHERE v.flow_id = f.id
                 AND v.kind = f.success_metric) AS successes
        FROM flow f ORDER BY f.name
        """
    )
    columns = ["flow", "metric", "sent", "delivered", "blocked", "opted_out", "clicks",
               "conversions", "successes"]
    return ReportResult(columns=columns, rows=[[r[c] for c in columns] for r in rows])


def undeliverable_numbers(data):
    """Contacts a provider reported unable to receive texts, by provider and code."""
    rows = data.rows(
        """
        SELECT undeliverable_code AS code, COUNT(*) AS contacts,
               MIN(undeliverable_at) AS first, MAX(undeliverable_at) AS last
        FROM contact WHERE undeliverable_at IS NOT NULL
        GROUP BY undeliverable_code ORDER BY contacts DESC, code
        """
    )
    columns = ["code", "contacts", "first", "last"]
    return ReportResult(columns=columns, rows=[[r[c] for c in columns] for r in rows])


@hookimpl
def register_reports():
    return [
        Report(
            "undeliverable-numbers",
            "Numbers that cannot receive texts",
            undeliverable_numbers,
            "Contacts a provider reported unreachable, unknown or a landline, by provider and "
            "error code; sends to them are held until a later delivery or a fresh opt-in.",
        ),
        Report(
            "flow-performance",
            "Flow performance",
            flow_performance,
            "Per flow: texts sent, delivered, blocked, opt-outs after a text, clicks, "
            "conversions and how many met the flow's success metric.",
        ),
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
