#!/bin/sh
# ldv_at.sh COMMIT [DIR]: run an archived copy of ldv at COMMIT, for A/B timing
# against the editable install without touching the shared checkout.
#
#   benchmarks/ldv_at.sh 28b6cb3        -> prints DIR/28b6cb3/run.py
#   python DIR/28b6cb3/run.py -q checkout HEAD~5
#
# The copy is `git archive COMMIT` with plumbing/, porcelain/ and remote_server/
# linked under ldv/ as setup.cfg maps them; run.py drops the editable install's
# import hook so that the copy, not the working tree, is imported.
set -e
commit=$1
dir=${2:-/tmp/ldv_at}/$commit
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -d "$dir/pkg" ]; then
    mkdir -p "$dir/src" "$dir/pkg"
    git -C "$repo" archive "$commit" | tar -x -C "$dir/src"
    cp -r "$dir/src/ldv" "$dir/pkg/ldv"
    for sub in plumbing porcelain remote_server; do
        ln -s "$dir/src/$sub" "$dir/pkg/ldv/$sub"
    done
fi
cat > "$dir/run.py" <<PY
import sys
sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f)]
sys.path_hooks[:] = [h for h in sys.path_hooks if "editable" not in repr(h)]
sys.path.insert(0, "$dir/pkg")
from ldv.cli.main import main
import ldv.plumbing.object_store as _store
assert _store.__file__.startswith("$dir"), _store.__file__
sys.argv[0] = "ldv"
sys.exit(main())
PY
echo "$dir/run.py"
