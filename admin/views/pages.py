"""Pages that are not a model: plugins, reports, and pages added by plugins."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from flask import Response, abort, current_app, redirect, request, url_for
from flask_admin import AdminIndexView, expose
from flask_security import current_user
from markupsafe import Markup

from admin.base import SecureView
from core import dashboard, plugins
from core.csvsafe import neutralise
from core.db import db, utcnow
from hooks import AdminPage


class PluginsView(SecureView):
    area = "plugins"

    @expose("/")
    def index(self) -> str:
        pm = current_app.extensions["consentdesk"].pm
        return self.render("consentdesk/plugins.html", plugins=plugins.plugin_infos(pm))


class ReportsView(SecureView):
    area = "reports"

    @expose("/")
    def index(self) -> str:
        return self.render("consentdesk/reports.html", reports=self._reports().values())

    @expose("/<report_name>")
    def show(self, report_name: str) -> str:
        report = self._report(report_name)
        result = report.run(plugins.SessionData(db.session))
        return self.render("consentdesk/report.html", report=report, result=result)

    @expose("/<report_name>.csv")
    def download(self, report_name: str) -> Response:
        report = self._report(report_name)
        result = report.run(plugins.SessionData(db.session))
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(result.columns)
        writer.writerows([[neutralise(value) for value in row] for row in result.rows])
        return Response(
            buffer.getvalue(),
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename={report_name}.csv"},
        )

    def _reports(self) -> dict[str, Any]:
        return plugins.reports(current_app.extensions["consentdesk"].pm)

    def _report(self, name: str) -> Any:
        report = self._reports().get(name)
        if report is None:
            abort(404)
        return report


class PluginPageView(SecureView):
    """Wraps a plugin's :class:`hooks.AdminPage` in the admin layout, behind its permission."""

    def __init__(self, page: AdminPage) -> None:
        self.page = page
        self.read_permission = page.permission
        super().__init__(name=page.name, endpoint=page.endpoint, category=page.category)

    @expose("/")
    def index(self) -> str:
        html = Markup(self.page.render(plugins.SessionData(db.session)))
        return self.render("consentdesk/plugin_page.html", page=self.page, html=html)


class HomeView(AdminIndexView):
    """The dashboard: any signed-in staff member; the rest of the menu follows their roles."""

    def is_accessible(self) -> bool:
        return bool(current_user.is_authenticated)

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        return redirect(url_for("security.login", next=request.url))

    def _reachable(self, endpoint: str) -> bool:
        """Whether the signed-in person may open the screen a dashboard line points at: a
        link is shown only to a role that can follow it."""
        prefix = endpoint.split(".", 1)[0]
        for view in self.admin._views:
            if view.endpoint == prefix:
                return bool(view.is_accessible())
        return False

    @expose("/")
    def index(self) -> str:
        board = dashboard.build(db.session, current_app, utcnow())
        html = self.render("consentdesk/home.html", board=board, reachable=self._reachable,
                           chart=json.dumps({"days": board.days, "opt_ins": board.opt_ins,
                                             "opt_outs": board.opt_outs}))
        db.session.rollback()
        return html
