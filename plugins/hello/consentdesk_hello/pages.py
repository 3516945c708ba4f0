"""The hello admin page."""

from markupsafe import escape

GREETING = {"text": "Hello from a plugin"}


def hello(data):
    contacts = data.rows("SELECT COUNT(*) AS n FROM contact")[0]["n"]
    return f"<p>{escape(GREETING['text'])}: this install has {int(contacts)} contacts.</p>"
