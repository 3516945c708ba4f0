"""The message types every install starts with; admins and plugins add more."""

from hooks import MessageTypeSpec, hookimpl


@hookimpl(trylast=True)
def register_message_types():
    return [
        MessageTypeSpec(
            "marketing", "Marketing", "Promotions, offers and newsletters.", requires_opt_in=True
        ),
        MessageTypeSpec(
            "transactional",
            "Transactional",
            "Order, appointment and account messages the person asked for.",
            requires_opt_in=True,
            quiet_hours_exempt=True,
        ),
        MessageTypeSpec(
            "support", "Support", "Replies to the person's own questions.", requires_opt_in=True
        ),
    ]
