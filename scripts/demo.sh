#!/usr/bin/env bash
# From a fresh clone to the admin panel at http://127.0.0.1:5000 full of demo data,
# with a sending worker (sandbox provider) running beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$SECONDS
step() { printf '\n==> [%ss] %s\n' "$((SECONDS - start))" "$*"; }

if [ -x .venv/bin/consentdesk ]; then
  step "1/3 Using the Consentdesk already installed in .venv"
else
  step "1/3 Installing Consentdesk with the Twilio, Telnyx, Shopify and Calendly plugins into .venv (about a minute)"
  INSTALL_MODE=wheel scripts/install.sh queue,serve twilio telnyx shopify calendly
fi
step "2/3 Loading the demo: a florist's brand, campaign, staff logins and contacts"
.venv/bin/consentdesk demo
step "3/3 Starting the sending worker and the admin panel"
.venv/bin/consentdesk worker &
worker=$!
trap 'kill "$worker" 2>/dev/null || true' EXIT INT TERM
.venv/bin/consentdesk serve --host 127.0.0.1 --port "${PORT:-5000}"
