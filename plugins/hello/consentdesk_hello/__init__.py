"""consentdesk-hello: a report and an admin page. Each hook is a short function delegating below."""

from consentdesk_hello import pages, reports
from hooks import AdminPage, Report, hookimpl


@hookimpl
def register_reports():
    return [
        Report(
            name="hello-new-contacts",
            title="New contacts per day (hello plugin)",
            run=reports.new_contacts_per_day,
            description="Contacts created per day over the last 30 days.",
        )
    ]


@hookimpl
def register_admin_pages():
    return [AdminPage(name="Hello", endpoint="hello", render=pages.hello, category="Plugins")]


@hookimpl
def startup(app):
    pages.GREETING["text"] = app.config.get("HELLO_GREETING", "Hello from a plugin")
