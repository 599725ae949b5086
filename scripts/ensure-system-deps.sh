#!/usr/bin/env bash
# Installs the system programs the tests drive when they are missing: Debian's chromium (browser tests,
# figure export) and Jupyter's nbconvert/nbclient (a real Jupyter client for the kernel tests).
# As root with apt it installs them; otherwise it stops with one line saying how.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ -x /usr/bin/jupyter-nbconvert ] || missing+=(jupyter-nbconvert)
/usr/bin/python3 -c 'import nbclient, nbformat, jupyter_client' >/dev/null 2>&1 || missing+=(python3-nbclient python3-nbformat python3-jupyter-client)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages for the tests: ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "the tests need: ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
