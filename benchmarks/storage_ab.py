"""Six versions stored by two ldv trees on one chunker key (issue 3's storage target).

    python benchmarks/storage_ab.py --build-old a403ff0 /tmp/ldv-old
    python benchmarks/storage_ab.py /tmp/ldv-ab 512 --old /tmp/ldv-old

The first form writes the package layout of commit REV (plumbing/, porcelain/,
remote_server/ under ldv/) to DIR, for PYTHONPATH.  The second commits the same six
versions (compare_local.py's data: 1% of records edited per version) into two
repositories sharing one keyring, so one chunker key: one by the tree in DIR, one by
the installed (working) tree, each `ldv add . && ldv commit` in turn, `ldv gc` after
v1 and after v6; then checks out the oldest and newest twice in alternating order.
Prints JSON: commit wall/CPU seconds per version, stored bytes after v1 and after
all six, all/v1, gc wall/CPU, checkout wall/CPU.  Both trees must read the same
keyring format.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import compare_local  # noqa: E402
from compare_local import du, edit_records, environment, make_records, write_file  # noqa: E402

LDV = [sys.executable, "-c", "import sys; from ldv.cli.main import main; sys.exit(main())"]


def build_old(rev: str, out: Path) -> None:
    repo = Path(__file__).resolve().parent.parent
    src = out / "src"
    shutil.rmtree(out, ignore_errors=True)
    src.mkdir(parents=True)
    tar = subprocess.run(["git", "archive", rev], cwd=repo, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(src)], input=tar.stdout, check=True)
    shutil.copytree(src / "ldv", out / "ldv")
    for sub in ("plumbing", "porcelain", "remote_server"):
        shutil.copytree(src / sub, out / "ldv" / sub)
    shutil.rmtree(src)


def timed(cmd: list[str], cwd: Path, env: dict) -> tuple[float, float]:
    """(wall, CPU) seconds of a subprocess, to the hundredth (for the JSON)."""
    wall, cpu = compare_local.timed(cmd, cwd, env)
    return round(wall, 2), round(cpu, 2)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("workdir", type=Path)
    ap.add_argument("size_mib", type=int, nargs="?", default=512)
    ap.add_argument("--old", type=Path, help="PYTHONPATH of the other tree (--build-old)")
    ap.add_argument("--build-old", metavar="REV", help="write REV's package layout to WORKDIR")
    args = ap.parse_args(argv)
    if args.build_old:
        build_old(args.build_old, args.workdir)
        return 0
    base = args.workdir
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    env = {"new": environment(base)}
    env["old"] = dict(env["new"], PYTHONPATH=str(args.old))
    versions = [make_records(args.size_mib << 20)]
    for v in range(1, 6):
        versions.append(edit_records(versions[-1], 0.01, seed=100 + v))
    wts = {c: base / c for c in ("old", "new")}
    timed(LDV + ["init", "-q", str(wts["new"])], base, env["new"])
    shutil.copytree(wts["new"] / ".ldv", wts["old"] / ".ldv")   # one keyring, one key
    res = {c: {"commit": []} for c in wts}
    order = ["old", "new"]
    for i, recs in enumerate(versions):
        for c in order:
            write_file(wts[c] / "data.jsonl", recs)
            a = timed(LDV + ["-q", "add", "."], wts[c], env[c])
            b = timed(LDV + ["-q", "commit", "-m", f"v{i + 1}"], wts[c], env[c])
            res[c]["commit"].append([round(a[0] + b[0], 2), round(a[1] + b[1], 2)])
            if i == 0:
                timed(LDV + ["-q", "gc"], wts[c], env[c])
                res[c]["v1"] = du(wts[c] / ".ldv" / "objects")
        order.reverse()
    for c in order:
        res[c]["gc"] = timed(LDV + ["-q", "gc"], wts[c], env[c])
        res[c]["all"] = du(wts[c] / ".ldv" / "objects")
        res[c]["ratio"] = round(res[c]["all"] / res[c]["v1"], 4)
    for k in range(2):
        for c in ("old", "new") if k == 0 else ("new", "old"):
            res[c].setdefault("checkout_oldest", []).append(
                timed(LDV + ["-q", "checkout", "HEAD~5"], wts[c], env[c]))
            res[c].setdefault("checkout_newest", []).append(
                timed(LDV + ["-q", "checkout", "main"], wts[c], env[c]))
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
