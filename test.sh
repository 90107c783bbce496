#!/usr/bin/env bash
# Set up (first time only, with the test extra and headless Chromium) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh test
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test: installing Debian chromium for the browser test" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver) >/dev/null
  else
    case "${QA_REQUIRE_BROWSER:-}" in
      "" | 0) echo "test: /usr/bin/chromium missing and cannot apt-get it; the browser test will be skipped" >&2 ;;
      *) echo "test: /usr/bin/chromium missing and cannot apt-get it; QA_REQUIRE_BROWSER is set: the browser test fails" >&2 ;;
    esac
  fi
fi
exec .venv/bin/python -m pytest "$@"
