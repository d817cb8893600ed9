#!/usr/bin/env bash
# The one test command: installs the project with its test extras, makes sure the
# services the tests need are up, and runs the whole suite.  .ci/run calls this.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q --disable-pip-version-check -e '.[test]'
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
fi
exec python3 -m pytest -n 2 -p no:cacheprovider "$@"
