"""The core's catalogue of events that can trigger flows; integrations add their own."""

from hooks import EventType, hookimpl


@hookimpl
def register_event_types():
    return [
        EventType("form.submitted", "A web form was submitted (a lead).", ("form", "url")),
        EventType("keyword.received", "A campaign keyword was texted in.", ("keyword",)),
        EventType("appointment.booked", "An appointment was booked.",
                  ("appointment_id", "starts_at", "service", "url"), time_field="starts_at"),
        EventType("appointment.cancelled", "An appointment was cancelled.",
                  ("appointment_id", "starts_at"), time_field="starts_at"),
        EventType("order.created", "An order was placed.", ("order_id", "total", "url")),
        EventType("order.fulfilled", "An order was fulfilled.", ("order_id", "url")),
        EventType("order.delivered", "An order was delivered.", ("order_id", "url")),
        EventType("checkout.abandoned", "A checkout was left unfinished.", ("checkout_id", "url")),
        EventType("ticket.solved", "A helpdesk ticket was solved.", ("ticket_id", "url")),
        EventType("contact.created", "A contact was added.", ()),
        EventType("campaign.send", "Send now: a manual send to a flow's audience.", ("offer", "url")),
    ]
