#!/usr/bin/env bash
# From a fresh clone to the admin panel at http://127.0.0.1:5000 full of demo data,
# with a sending worker (sandbox provider) running beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh postgres,queue,serve
.venv/bin/consentdesk demo
.venv/bin/consentdesk worker &
worker=$!
trap 'kill "$worker" 2>/dev/null || true' EXIT INT TERM
.venv/bin/consentdesk serve --host 127.0.0.1 --port "${PORT:-5000}"
