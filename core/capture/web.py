"""The pages people see outside the panel: hosted opt-in forms (``/f/<slug>``, embeddable),
the printable paper form, and the preference center (``/p/<token>``).

They work without JavaScript, set no cookies and may be framed by any site (the snippet
puts a form in an iframe); submissions are limited per address and never need a session.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, render_template, request, url_for

from core.capture import forms, paper, preferences
from core.db import db
from core.models import Brand, MessageType, OptInForm
from core.phone import national
from core.web_security import POLICY, talisman

blueprint = Blueprint("capture", __name__)
EMBEDDABLE = {**POLICY, "frame-ancestors": "*"}
MAX_URL = 1000


def _colour() -> str:
    return current_app.extensions["consentdesk"].branding.primary_colour


def render_form(form: OptInForm, *, embed: bool, nonce: str = "", host: str = "",
                values: dict[str, Any] | None = None,
                errors: dict[str, str] | None = None) -> str:
    """The form page; with no nonce, host, values or errors: the page as every visitor
    first sees it, which is what a submission's snapshot keeps."""
    return render_template(
        "capture/form.html", form=form, brand=form.campaign.brand, embed=embed,
        colour=_colour(), nonce=nonce, host=host, errors=errors or {},
        values={"types": [], **(values or {})},
        action=url_for("capture.form_page", slug=form.slug, embed=1 if embed else None))


def canonical(form: OptInForm, embed: bool) -> tuple[str, str]:
    html = render_form(form, embed=embed)
    return html, hashlib.sha256(html.encode("utf-8")).hexdigest()


def _message(heading: str, lines: list[str], *, brand: Brand | None = None, ok: bool = True,
             embed: bool = False, status: int = 200) -> tuple[str, int]:
    brand = brand or db.session.scalars(sa.select(Brand).order_by(Brand.id)).first()
    return render_template("capture/message.html", heading=heading, lines=lines, ok=ok,
                           brand=brand or {"public_name": "Consentdesk"}, embed=embed,
                           colour=_colour()), status


def _host_page() -> str | None:
    """The page a form was embedded in: the snippet passes it; an iframe pasted by hand
    leaves only the Referer (often cut to the site's address by the browser)."""
    for value in (request.values.get("host"), request.referrer if _embedded() else None):
        if value and len(value) <= MAX_URL and urlsplit(value).scheme in ("http", "https") \
                and urlsplit(value).netloc:
            return value
    return None


def _embedded() -> bool:
    return request.args.get("embed") == "1"


@blueprint.route("/f/<slug>", methods=("GET", "POST"))
@talisman(frame_options=None, content_security_policy=EMBEDDABLE)
def form_page(slug: str) -> Any:
    embed = _embedded()
    try:
        form = forms.published(db.session, slug)
    except forms.FormClosed:
        return _message("This form is not available",
                        ["There is no sign-up form at this address, or it was taken down."],
                        ok=False, embed=embed, status=404)
    host = _host_page() or ""
    if request.method == "GET":
        _, digest = canonical(form, embed)
        html = render_form(form, embed=embed, nonce=forms.new_nonce(current_app, digest),
                           host=host)
        db.session.rollback()
        return html
    return _submit(form, embed, host)


def _submit(form: OptInForm, embed: bool, host: str) -> Any:
    data = {name: request.form.get(name, "") for name in
            ("phone", "first_name", "last_name", "email", "zip", "nonce", "website")}
    data["types"] = request.form.getlist("types")
    html, digest = canonical(form, embed)
    page_url = request.base_url + ("?embed=1" if embed else "")
    visitor = forms.Visitor(ip=request.remote_addr, user_agent=request.user_agent.string,
                            page_url=page_url, host_page_url=host or None)
    forms.keep_snapshot(db.session, form, html)
    result = forms.submit(db.session, current_app, form, data, visitor, digest)
    if not result.ok:
        db.session.rollback()
        values = {**data, "types": [int(t) for t in data["types"] if t.isdigit()]}
        return render_form(form, embed=embed, nonce=forms.new_nonce(current_app, digest),
                           host=host, values=values, errors=result.errors), 422
    submission = result.submission
    phone = national(submission.contact.phone)
    db.session.commit()
    brand = form.campaign.brand
    if result.outcome == "confirm_by_text" or (result.outcome == "repeat"
                                                and submission.status == "pending"):
        return _message("Check your phone", [
            f"We sent a text to {phone}. Reply Y to it to confirm; until you do, we will not "
            "text you anything else.", "The request expires in 24 hours."],
            brand=brand, embed=embed)
    return _message("You're signed up", [
        form.thank_you or f"Thank you: {brand.public_name} will text {phone}.",
        "Reply STOP to any text to opt out, HELP for help."], brand=brand, embed=embed)


@blueprint.route("/f/<slug>/embed.js")
def embed_js(slug: str) -> Response:
    """The snippet's script: an iframe with the form, told the page it sits in, sized to
    its content."""
    src = url_for("capture.form_page", slug=slug, embed=1, _external=True)
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(src))
    script = f"""(function () {{
  var me = document.currentScript, frame = document.createElement("iframe");
  frame.src = {json.dumps(src)} + "&host=" + encodeURIComponent(location.href);
  frame.title = "Sign up for text messages";
  frame.style.cssText = "width:100%;max-width:34rem;border:0;height:640px;overflow:hidden";
  frame.setAttribute("scrolling", "no");
  me.parentNode.insertBefore(frame, me);
  window.addEventListener("message", function (event) {{
    if (event.origin === {json.dumps(origin)} && event.source === frame.contentWindow &&
        event.data && typeof event.data.consentdeskHeight === "number") {{
      frame.style.height = Math.ceil(event.data.consentdeskHeight) + "px";
    }}
  }});
}})();
"""
    return Response(script, mimetype="text/javascript")


@blueprint.route("/f/frame.js")
def frame_js() -> Response:
    script = """(function () {
  function tell() { parent.postMessage({consentdeskHeight: document.documentElement.scrollHeight}, "*"); }
  window.addEventListener("load", tell); window.addEventListener("resize", tell); tell();
})();
"""
    return Response(script, mimetype="text/javascript")


@blueprint.route("/f/<slug>/paper")
def paper_form(slug: str) -> Any:
    """The printable paper version of a form: the same disclosure, boxes to tick, a line
    to sign. Public: registration asks for a link to it."""
    form = _form_or_404(slug)
    html = render_template("capture/paper.html", form=form, brand=form.campaign.brand,
                           colour=_colour(), embed=False)
    db.session.rollback()
    return html


@blueprint.route("/f/<slug>/paper.svg")
def paper_image(slug: str) -> Response:
    """The paper form as an image (SVG), for the registration's hosted-image link."""
    from core.capture.paper_image import render

    form = _form_or_404(slug)
    svg = render(form)
    db.session.rollback()
    return Response(svg, mimetype="image/svg+xml")


def _form_or_404(slug: str) -> OptInForm:
    try:
        return forms.published(db.session, slug)
    except forms.FormClosed:
        abort(404)


# The preference center.

@blueprint.route("/p/<token>", methods=("GET", "POST"))
def preference_page(token: str) -> Any:
    try:
        visit = preferences.open_token(db.session, current_app, token)
    except preferences.LinkProblem as problem:
        return _message("This link does not work", [str(problem)], ok=False, status=404)
    notice = None
    if request.method == "POST":
        notice = _change(visit)
        if isinstance(notice, tuple):
            return notice
    html = _preference_html(visit, notice=notice)
    db.session.rollback()
    return html


def _preference_html(visit: preferences.Visit, notice: str | None = None,
                     for_snapshot: bool = False) -> str:
    session = db.session
    contact = visit.contact
    states = preferences.subscriptions(session, contact)
    types = list(session.scalars(sa.select(MessageType).where(
        MessageType.requires_opt_in.is_(True)).order_by(MessageType.id)))
    brand = _brand_of(visit)
    disclosure = preferences.rejoin_disclosure(session, None)
    return render_template(
        "capture/preferences.html", brand=brand, colour=_colour(), embed=False,
        phone=national(contact.phone), types=types, states=states,
        subscribed=[t for t in types if states.get(t.id) == "opted_in"],
        stopped=[t for t in types if states.get(t.id) == "opted_out"],
        offers=preferences.offers_per_week(session, contact),
        frequencies=preferences.FREQUENCIES, disclosure=disclosure, notice=notice,
        action="" if for_snapshot else request.path)


def _brand_of(visit: preferences.Visit) -> Brand | None:
    from core.models import Flow

    if visit.link.flow_id:
        flow = db.session.get(Flow, visit.link.flow_id)
        if flow is not None and flow.campaign is not None:
            return flow.campaign.brand
    return db.session.scalars(sa.select(Brand).order_by(Brand.id)).first()


def _change(visit: preferences.Visit) -> Any:
    browser = preferences.Browser(ip=request.remote_addr, user_agent=request.user_agent.string,
                                  page_url=request.base_url)
    what = request.form.get("do", "")
    types = {str(t.id): t for t in db.session.scalars(sa.select(MessageType))}
    try:
        if what == "stop_all":
            preferences.stop(db.session, current_app, visit, None, browser)
            notice = "Done: you will get no more texts from us. You can subscribe again below."
        elif what.startswith("stop:") and what[5:] in types:
            kind = types[what[5:]]
            preferences.stop(db.session, current_app, visit, kind, browser)
            notice = f"Done: no more {kind.name.lower()} texts."
        elif what.startswith("join:") and what[5:] in types:
            if request.form.get("agree") != "yes":
                return _preference_html(visit, notice="Tick the box to agree to the terms "
                                        "above before subscribing again."), 422
            kind = types[what[5:]]
            disclosure = preferences.rejoin_disclosure(db.session, None)
            page = _preference_html(visit, for_snapshot=True)
            form = db.session.scalars(sa.select(OptInForm).where(
                OptInForm.disclosure_id == disclosure.id)).first()
            if form is not None:
                forms.keep_snapshot(db.session, form, page)
            preferences.rejoin(db.session, current_app, visit, kind, disclosure, browser,
                               preferences.snapshot_hash(page))
            notice = f"Done: you are subscribed to {kind.name.lower()} texts again."
        elif what == "frequency":
            value = request.form.get("per_week", "")
            preferences.choose_frequency(db.session, visit,
                                         int(value) if value.isdigit() else None, browser)
            notice = "Saved: how often offers come."
        else:
            return _preference_html(visit, notice="Choose one of the buttons."), 400
    except preferences.LinkProblem as problem:
        db.session.rollback()
        return _preference_html(visit, notice=str(problem)), 422
    db.session.commit()
    return notice


def follow_preferences(link_id: int, contact_id: int | None, expired: bool = False) -> Any:
    """Where a preferences link (``/l/<code>``) leads: this person's page."""
    from flask import redirect

    if expired:
        return _message("This link has expired", [
            f"Links to your choices last {preferences.LINK_DAYS} days. Open the link in a more "
            "recent text from us, or reply STOP to any of our texts to stop them all."],
            ok=False, status=410)
    if contact_id is None:
        return _message("This link does not work", [
            "Open the link in your latest text from us to change your choices."],
            ok=False, status=404)
    return redirect(url_for("capture.preference_page",
                            token=preferences.token_for(current_app, contact_id, link_id)))


def form_urls(form: OptInForm) -> dict[str, str]:
    """The addresses an admin copies: the page, the snippet, the paper form and its image."""
    page = url_for("capture.form_page", slug=form.slug, _external=True)
    return {
        "page": page,
        "snippet": f'<script src="{url_for("capture.embed_js", slug=form.slug, _external=True)}" async></script>',
        "iframe": (f'<iframe src="{url_for("capture.form_page", slug=form.slug, embed=1, _external=True)}" '
                   'title="Sign up for text messages" style="width:100%;max-width:34rem;'
                   'height:700px;border:0"></iframe>'),
        "paper": url_for("capture.paper_form", slug=form.slug, _external=True),
        "paper_image": url_for("capture.paper_image", slug=form.slug, _external=True),
    }


__all__ = ["blueprint", "canonical", "follow_preferences", "form_urls", "paper"]
