"""The two pluggy markers: ``hookspec`` for the core, ``hookimpl`` for plugins."""

import pluggy

PROJECT_NAME = "consentdesk"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
