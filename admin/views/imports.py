"""Upload a consent CSV: every row validated, rejects listed by line, the rest imported."""

from __future__ import annotations

import io
from typing import Any

from flask import current_app, request
from flask_admin import expose
from flask_security import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from admin.base import SecureView
from core.consent.imports import Importer
from core.db import db

MAX_BYTES = 50 * 1024 * 1024  # larger files: consentdesk consent import FILE


class UploadForm(FlaskForm):
    file = FileField("Consent CSV", validators=[FileRequired()])


class ConsentImportView(SecureView):
    read_permission = "consent:import"

    @expose("/", methods=("GET", "POST"))
    def index(self) -> str:
        form = UploadForm()
        report: Any = None
        error = None
        if form.validate_on_submit():
            raw = request.files["file"].read(MAX_BYTES + 1)
            if len(raw) > MAX_BYTES:
                error = "The file is over 50 MB; use `consentdesk consent import FILE`."
            else:
                try:
                    text = raw.decode("utf-8-sig")
                except UnicodeDecodeError:
                    error = "The file is not UTF-8 text."
                else:
                    report = Importer(
                        db.session, current_app.extensions["consentdesk"].consent_sources,
                        current_app.config["SUPPRESSION_KEY"], current_user.email,
                    ).run(io.StringIO(text))
                    db.session.commit()
        return self.render("consentdesk/import.html", form=form, report=report, error=error)
