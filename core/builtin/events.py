"""The core's catalogue of events that can trigger flows; integrations add their own."""

from hooks import EventType, hookimpl


@hookimpl
def register_event_types():
    return [
        EventType("form.submitted", "A web form was submitted (a lead).", ("form", "url")),
        EventType("keyword.received", "A campaign keyword was texted in.", ("keyword",)),
        EventType("appointment.booked", "An appointment was booked.",
                  ("appointment_id", "starts_at", "service", "url", "timezone"),
                  time_field="starts_at"),
        EventType("appointment.cancelled", "An appointment was cancelled.",
                  ("appointment_id", "starts_at", "url", "timezone"), time_field="starts_at"),
        EventType("order.created", "An order was placed.", ("order_id", "total", "url")),
        EventType("order.fulfilled", "An order was fulfilled.", ("order_id", "url")),
        EventType("order.delivered", "An order was delivered.", ("order_id", "url")),
        EventType("checkout.abandoned", "A checkout was left unfinished.", ("checkout_id", "url")),
        EventType("ticket.solved", "A helpdesk ticket was solved.",
                  ("ticket_id", "subject", "url")),
        EventType("ticket.updated", "An agent answered a helpdesk ticket.",
                  ("ticket_id", "subject", "url")),
        EventType("contact.created", "A contact was added.", ()),
        EventType("contact.birthday", "Each year on the contact's birthday (attribute "
                  "birthday), at 10:00 their time.", ("date", "years")),
        EventType("contact.anniversary", "Each year on the day the contact joined (attribute "
                  "member_since), at 10:00 their time.", ("date", "years")),
        EventType("campaign.send", "Send now: a manual send to a flow's audience.", ("offer", "url")),
        # Replies the keyword engine recognises (core.keywords): the person's own words.
        EventType("appointment.cancel_requested", "A reply asked to cancel an appointment.",
                  ("text",)),
        EventType("appointment.reschedule_requested", "A reply asked to move an appointment.",
                  ("text",)),
        EventType("appointment.confirmed", "A reply confirmed an appointment.", ("text",)),
        EventType("order.cancel_requested", "A reply asked to cancel an order.", ("text",)),
    ]
