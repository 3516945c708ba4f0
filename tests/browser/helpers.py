"""What the browser tests share: a live server, signing in."""

from __future__ import annotations

import threading

from werkzeug.serving import make_server


def serve(app) -> tuple[str, object]:
    """Serve ``app`` on a free port in a thread; returns the base URL and the server."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def sign_in(page, base: str, email: str, password: str, path: str = "/admin/") -> None:
    page.goto(f"{base}{path}")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/**")
