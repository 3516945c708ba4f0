#!/usr/bin/env bash
# Create .venv (if missing) and install Consentdesk with the given extras and plugins.
# Usage: scripts/install.sh EXTRAS [PLUGIN...]
#   scripts/install.sh dev,postgres             every bundled plugin, editable (development)
#   INSTALL_MODE=wheel scripts/install.sh serve twilio telnyx
#                                               only those plugins, as ordinary packages
set -euo pipefail
cd "$(dirname "$0")/.."
extras=${1:-postgres}
shift || true
plugins=("$@")
if [ ${#plugins[@]} -eq 0 ]; then
  for setup in plugins/*/setup.cfg; do plugins+=("$(basename "$(dirname "$setup")")"); done
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
editable=(-e)
[ "${INSTALL_MODE:-editable}" = wheel ] && editable=()
args=("${editable[@]}" ".[${extras}]")
modules=(core)
for name in "${plugins[@]}"; do
  [ -f "plugins/$name/setup.cfg" ] || { echo "no plugin named $name under plugins/" >&2; exit 2; }
  args+=("${editable[@]}" "plugins/$name")
  modules+=("consentdesk_$name")
done
# setuptools explains at length, for every editable package, that a folder named like the
# package shadows it; that is how this repository is laid out, so the notice is left out.
.venv/bin/python -m pip install --quiet "${args[@]}" 2>&1 \
  | sed -e '/BuildBackendWarning: Editable installation/,/with strategy, WheelFile/d' \
  | grep -v -e "^WARNING: Location" -e "^\s*$" || true
# Fail here, not later, if the install broke.
.venv/bin/python -c "import $(IFS=,; echo "${modules[*]}")"
