#!/usr/bin/env bash
# Create .venv (if missing) and install Consentdesk, every bundled plugin and the given extras.
# Usage: scripts/install.sh EXTRAS      e.g. scripts/install.sh dev,postgres
set -euo pipefail
cd "$(dirname "$0")/.."
extras=${1:-postgres}
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
plugin_args=()
for setup in plugins/*/setup.cfg; do
  plugin_args+=(-e "$(dirname "$setup")")
done
.venv/bin/python -m pip install --quiet -e ".[${extras}]" "${plugin_args[@]}" 2>&1 \
  | grep -v -e "^WARNING: Location" -e "^\s*$" || true
.venv/bin/python -c "import core, consentdesk_hello, consentdesk_twilio, consentdesk_telnyx" # fail here, not later, if the install broke
