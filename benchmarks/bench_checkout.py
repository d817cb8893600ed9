"""Checkout of the oldest and the newest version, repeated and interleaved.

    python benchmarks/compare_local.py --size-mib 512 --files 0 --workdir /tmp/co
    python benchmarks/bench_checkout.py --workdir /tmp/co --rounds 5

Reuses the repositories compare_local.py left in ``--workdir`` (ldv-wt, git-wt,
restic-wt.restic: six versions of one JSONL file) and times, round after round,
each tool's checkout of the oldest version and then of the newest, so that the
machine's load (other jobs share its cores) falls on every tool alike.  Reports
wall time and CPU time (user + system of the process and its threads) per run,
the medians, and each ldv median as a ratio of every peer's in the same run.

git runs as ``git checkout -f``: after a checkout git's index entry for the file
is "racily clean" (written in the same second as the file), so the next plain
checkout re-hashes 512 MiB first (26-52 s here), which compare_local.py's single plain
checkout after a commit does not; -f skips that check and leaves the same work
(read, inflate, write the file).  restic restores into an emptied folder: its
removal of the previous restore is timed apart and reported, not counted.
``--ldv NAME=COMMAND`` adds another ldv
(e.g. an older commit run from a copy) as one more tool.
"""
from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_local import environment, timed  # noqa: E402


def tools(base: Path, names: list[str], extra: list[str]) -> dict:
    """name -> (cwd, oldest command, newest command, before each: callable or None)."""
    out = {}
    ldv = [shutil.which("ldv") or "ldv"]
    if "ldv" in names:
        out["ldv"] = (base / "ldv-wt", ldv + ["-q", "checkout", "HEAD~5"],
                      ldv + ["-q", "checkout", "main"], None)
    for spec in extra:
        name, cmd = spec.split("=", 1)
        cmd = shlex.split(cmd)
        out[name] = (base / "ldv-wt", cmd + ["-q", "checkout", "HEAD~5"],
                     cmd + ["-q", "checkout", "main"], None)
    if "git" in names and shutil.which("git"):
        out["git"] = (base / "git-wt", ["git", "checkout", "-q", "-f", "HEAD~5"],
                      ["git", "checkout", "-q", "-f", "main"], None)
    missing = [n for n in ("git", "restic") if n in names and not shutil.which(n)]
    for name in missing:               # as compare_local.py does: say so, go on
        print(f"{name} not installed; skipped (e.g. apt-get install {name})",
              file=sys.stderr)
    if "restic" in names and "restic" not in missing:
        if not (base / "restic-wt.restic").is_dir():
            raise SystemExit(f"no restic repository in {base}: run compare_local.py "
                             f"with --workdir {base} first (restic was not installed then?)")
        repo, target = base / "restic-wt.restic", base / "restic-restore"
        clear = lambda: shutil.rmtree(target, ignore_errors=True)  # noqa: E731
        snaps = _restic_snapshots(repo, environment(base))
        out["restic"] = (base, ["restic", "restore", "-q", "-r", str(repo), snaps[0],
                                "--target", str(target)],
                         ["restic", "restore", "-q", "-r", str(repo), snaps[-1],
                          "--target", str(target)], clear)
    return out


def _restic_snapshots(repo: Path, env: dict) -> list[str]:
    import json
    out = subprocess.run(["restic", "snapshots", "--json", "-r", str(repo)], env=env,
                         capture_output=True, check=True).stdout
    return [s["short_id"] for s in sorted(json.loads(out), key=lambda s: s["time"])]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--tools", default="ldv,git,restic")
    ap.add_argument("--ldv", action="append", default=[], metavar="NAME=COMMAND")
    args = ap.parse_args(argv)
    base = Path(args.workdir)
    env = environment(base)
    runs = tools(base, args.tools.split(","), args.ldv)
    got = {(n, w): [] for n in runs for w in ("oldest", "newest")}
    cleanup = {n: [] for n, r in runs.items() if r[3]}
    for r in range(args.rounds):
        for name, (cwd, old, new, before) in runs.items():
            for which, cmd in (("oldest", old), ("newest", new)):
                if before:
                    t = time.perf_counter()
                    before()
                    cleanup[name].append(time.perf_counter() - t)
                wall, cpu = timed(cmd, cwd, env)
                got[name, which].append((wall, cpu))
                print(f"round {r + 1} {name:10s} {which:6s} {wall:6.2f} s wall "
                      f"{cpu:6.2f} s CPU  load {os.getloadavg()[0]:.2f}", flush=True)
    print("\n| tool | checkout | wall s (runs) | median wall | median CPU |")
    print("|---|---|---|---:|---:|")
    med = {}
    for (name, which), vals in got.items():
        walls, cpus = [w for w, _ in vals], [c for _, c in vals]
        med[name, which] = (statistics.median(walls), statistics.median(cpus))
        print(f"| {name} | {which} | {' '.join(f'{w:.2f}' for w in walls)} | "
              f"{med[name, which][0]:.2f} | {med[name, which][1]:.2f} |")
    for name, walls in cleanup.items():
        print(f"\n{name}: its untimed removal of the previous restore before each run "
              f"(the other tools replace the old file inside their timed checkout): "
              f"median {statistics.median(walls):.2f} s wall")
    print("\nldv / peer, medians of the same run (wall, CPU):")
    for which in ("oldest", "newest"):
        for name in runs:
            if not name.startswith("ldv") and "ldv" in runs:
                (lw, lc), (pw, pc) = med["ldv", which], med[name, which]
                print(f"  {which}: ldv/{name} = {lw / pw:.2f} wall, {lc / pc:.2f} CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
