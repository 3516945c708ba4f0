#!/usr/bin/env bash
# The whole test suite: core on SQLite, every plugin distribution, and core on PostgreSQL
# when CONSENTDESK_TEST_POSTGRES_URL is set. Installs what it needs first.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh dev,postgres,queue || exit 1
# The browser tests drive Debian's Chromium; install it where we may (root + apt).
if ! command -v chromium >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== installing chromium for the browser test"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
    >/dev/null 2>&1 || echo "could not install chromium: the browser tests will fail (they never skip)"
fi
failed=()
suites=0

echo "== lint (ruff)"
suites=$((suites + 1))
.venv/bin/ruff check --quiet . || failed+=("lint")

echo "== keyword engine on the labelled corpora"
evaluation=$(mktemp -d)
for corpus in tests/data/replies.csv tests/data/replies_unseen.csv; do
  suites=$((suites + 1))
  CONSENTDESK_INSTANCE_PATH="$evaluation" .venv/bin/consentdesk keywords evaluate "$corpus" \
    --builtin --quiet || failed+=("keywords $corpus")
done
rm -rf "$evaluation"

echo "== core on SQLite"
suites=$((suites + 1))
env -u CONSENTDESK_TEST_POSTGRES_URL .venv/bin/python -m pytest "$@" || failed+=("core on SQLite")

for plugin in plugins/*/; do
  echo "== plugin $(basename "$plugin")"
  suites=$((suites + 1))
  (cd "$plugin" && ../../.venv/bin/python -m pytest "$@") || failed+=("plugin $(basename "$plugin")")
done

if [ -n "${CONSENTDESK_TEST_POSTGRES_URL:-}" ]; then
  echo "== core on PostgreSQL"
  suites=$((suites + 1))
  .venv/bin/python -m pytest "$@" || failed+=("core on PostgreSQL")
fi

[ ${#failed[@]} -gt 0 ] && printf 'FAILED: %s\n' "${failed[@]}"
echo "suites: $((suites - ${#failed[@]})) passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
