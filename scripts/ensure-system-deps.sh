#!/usr/bin/env bash
# The system programs the integration and e2e tests drive: Debian's chromium (browser tests, figure
# export) and Jupyter's nbconvert/nbclient (a real Jupyter client for the kernel tests).
# With --check (npm test's pretest) it only checks, and stops with one line saying how to get what is
# missing; without (CI, .ci/run), as root with apt, it installs them.
set -euo pipefail
check_only=false
[ "${1:-}" = --check ] && check_only=true
missing=()
[ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -x /usr/bin/jupyter-nbconvert ] || missing+=(jupyter-nbconvert)
/usr/bin/python3 -c 'import nbclient, nbformat, jupyter_client' >/dev/null 2>&1 || missing+=(python3-nbclient python3-nbformat python3-jupyter-client)
[ ${#missing[@]} -eq 0 ] && exit 0
if ! $check_only && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages for the tests: ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "the tests need: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]} (or as root: bash scripts/ensure-system-deps.sh)" >&2
  exit 1
fi
