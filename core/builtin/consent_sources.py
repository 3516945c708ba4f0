"""The consent sources every install knows."""

from hooks import ConsentSource, hookimpl


@hookimpl
def register_consent_sources():
    return [
        ConsentSource("web_form", "Web form", evidence=("page_url", "ip", "user_agent")),
        ConsentSource("keyword", "Text keyword", evidence=("keyword_text",)),
        ConsentSource("paper_form", "Paper form scan", evidence=("document_url",)),
        ConsentSource("csv_import", "CSV import", evidence=("document_url",)),
        ConsentSource("api", "API"),
        ConsentSource("admin", "Recorded by staff"),
        ConsentSource("preference_center", "Preference center (from a link in a text)",
                      evidence=("ip", "user_agent")),
        ConsentSource("provider", "Provider report (e.g. carrier opt-out)"),
        ConsentSource("purchased_list", "Bought or rented list", provable=False),
        ConsentSource("partner", "Shared by partners", provable=False),
    ]
