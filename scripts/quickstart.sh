#!/usr/bin/env bash
# ldv in one minute: version a small dataset folder, edit it, see history and diffs.
# Runs in a temporary folder with its own key directory; nothing outside it changes.
set -euo pipefail

if ! command -v ldv >/dev/null 2>&1; then
    echo "ldv is not on PATH: run 'pip install -e .' in the repository first" >&2
    exit 2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/ldv-quickstart.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export XDG_CONFIG_HOME="$work/config"         # the key file goes here, not in ~/.config
export LDV_AUTHOR_NAME="${LDV_AUTHOR_NAME:-Quickstart}"
export LDV_AUTHOR_EMAIL="${LDV_AUTHOR_EMAIL:-quickstart@example.org}"
cd "$work"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

step ldv init dataset
cd dataset

python3 - <<'PY'
import json, random
random.seed(7)
with open("train.jsonl", "w") as f:
    for i in range(2000):
        f.write(json.dumps({"id": i, "prompt": f"What is {i} + {i}?", "answer": str(2 * i)}) + "\n")
with open("README.md", "w") as f:
    f.write("# arithmetic\n\nSynthetic question/answer pairs.\n")
PY

step ldv status --short
step ldv add .
step ldv commit -m "Add arithmetic dataset v1"

# Fix one answer, drop the README's last line, add a validation split.
python3 - <<'PY'
lines = open("train.jsonl").read().splitlines(True)
lines[41] = lines[41].replace('"answer": "82"', '"answer": "eighty-two"')
open("train.jsonl", "w").writelines(lines)
open("README.md", "w").write("# arithmetic\n\nSynthetic pairs; answer 41 spelled out.\n")
open("valid.jsonl", "w").write('{"id": 0, "prompt": "1 + 1?", "answer": "2"}\n')
PY

step ldv status
step ldv diff --stat
step ldv add .
step ldv commit -m "Spell out answer 41, add a validation split"
step ldv log --oneline --graph
step ldv diff HEAD~1 HEAD --name-status
step ldv diff HEAD~1 HEAD -- train.jsonl
step ldv show HEAD~1:README.md
step ldv fsck

printf '\nDone. Everything under %s/dataset/.ldv is encrypted; the master key was in %s.\n' \
    "$work" "$XDG_CONFIG_HOME/ldv/keys"
