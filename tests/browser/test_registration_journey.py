"""Registration help in a real browser: a marketer breaks the campaign's message flow, sees
why on the readiness screen and on the dashboard, uses the generated text and re-reviews."""

import pytest

from tests.browser.helpers import serve, sign_in


@pytest.fixture
def demo_server(make_app):
    from core import demo
    from core.db import db

    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        demo.load(app, contacts=5)
        db.session.commit()
    base, server = serve(app)
    yield base
    server.shutdown()


def test_a_marketer_fixes_a_vague_message_flow_from_the_readiness_screen(demo_server, page,
                                                                        snap):
    from core import demo

    sign_in(page, demo_server, "marketing@bloomandbranch.example", demo.PASSWORD)
    page.goto(f"{demo_server}/admin/campaign/")
    page.click("a:has-text('Check')")
    assert "No findings: ready to submit." in page.content()
    snap(page, "readiness-ready")

    page.goto(f"{demo_server}/admin/campaign/edit/?id=1")
    page.fill("textarea[name=message_flow]", "Customers sign up.")
    page.click("input[type=submit][value=Save]")
    page.goto(f"{demo_server}/admin/")
    assert "1 change(s) since its registration" in page.inner_text("#attention")
    page.click("#attention a")
    page.click("a:has-text('Bloom & Branch promotions')")
    content = page.content()
    assert "Blocks submission" in content and "most common reason" in content
    snap(page, "readiness-vague-flow")

    assert page.is_checked("#use-message_flow")
    page.click("button:has-text('Use the ticked texts')")
    assert "Used the generated message flow." in page.content()
    assert "No findings: ready to submit." in page.content()
    assert "The records match the registration approved" in page.content()
