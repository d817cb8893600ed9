"""`ldv status` vs `git status` on a tree of many small files, nothing changed.

    python benchmarks/bench_status.py                  # 50,000 files, best of 7
    python benchmarks/bench_status.py --files 2000 --runs 5
    python benchmarks/bench_status.py --keep /tmp/st   # build once, reuse later

Builds the same tree twice (one copy per tool, so neither sees the other's
repository folder), commits it in each, warms both up once (page cache, index
refresh), then times ``git status --porcelain`` and ``ldv status --porcelain`` as
subprocesses, alternating, so both see the same machine load.  Uses hyperfine
when it is installed, else best-of-N with time.perf_counter.  Also times
``ldv status`` in a repository of 10 files (the start-up cost).

ldv keeps a directory cache by default (docs/WORKTREE.md: Git's untracked cache,
which Git leaves off unless `core.untrackedCache` or `feature.manyFiles` is set), so
a third copy of the tree, committed with `core.untrackedCache=true`, times git with
its cache too ("git+uc"); the target compares with plain `git status`.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_local import timed  # noqa: E402

KEY = "5a" * 32


def environment(base: Path) -> dict:
    env = dict(os.environ)
    env.update({"LDV_MASTER_KEY": KEY, "XDG_CONFIG_HOME": str(base / "config"),
                "LDV_AUTHOR_NAME": "Bench", "LDV_AUTHOR_EMAIL": "bench@example.org",
                "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.org",
                "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.org",
                "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(base),
                # as an installed ldv runs: byte-compiled modules are cached (kept
                # out of the source tree)
                "PYTHONPYCACHEPREFIX": str(base / "pycache")})
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


LDV_EXE: str | None = None     # --ldv / --venv


def ldv_exe() -> str:
    """The console script of this interpreter's ldv, not a version manager's shim
    (pyenv's shell shim alone costs more than `git status` on a small tree)."""
    if LDV_EXE:
        return LDV_EXE
    here = Path(sys.executable).parent / "ldv"
    return str(here) if here.exists() else "ldv"


def installed_venv(venv: Path) -> str:
    """ldv as a user installs it: `pip install .` (not editable: no import-hook
    finder at start-up; the C extension built) into a fresh venv, kept for reruns."""
    exe = venv / "bin" / "ldv"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q",
                        str(Path(__file__).resolve().parents[1])], check=True)
    return str(exe)


def run(cmd: list[str], cwd: Path, env: dict) -> float:
    return run_timed(cmd, cwd, env)[0]


def run_timed(cmd: list[str], cwd: Path, env: dict) -> tuple[float, float]:
    """compare_local.timed; a status --porcelain must find the tree unchanged."""
    return timed(cmd, cwd, env, quiet="--porcelain" in cmd)


def make_tree(wt: Path, nfiles: int) -> None:
    """``nfiles`` small files, 100 to a directory, two levels deep (d03/s7/f...)."""
    for i in range(nfiles):
        d = wt / f"d{i // 1000:03d}" / f"s{i // 100 % 10}"
        if i % 100 == 0:
            d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i:06d}.txt").write_bytes(b"row %d\n" % i)


def build(base: Path, nfiles: int, env: dict) -> dict[str, Path]:
    """One committed copy of the tree per tool (reused when already built)."""
    trees = {}
    git = [["git", "init", "-q", "-b", "main"], ["git", "add", "."],
           ["git", "commit", "-q", "-m", "many"]]
    for tool, cmds in (
            ("git", git),
            ("gituc", git[:1] + [["git", "config", "core.untrackedCache", "true"]] + git[1:]),
            ("ldv", [[ldv_exe(), "init", "-q"], [ldv_exe(), "-q", "add", "."],
                     [ldv_exe(), "-q", "commit", "-m", "many"]])):
        wt = base / f"{tool}-{nfiles}"
        trees[tool] = wt
        done = base / f".{tool}-{nfiles}.done"     # outside the tree: ldv ignores nothing
        if done.exists():
            continue
        shutil.rmtree(wt, ignore_errors=True)
        wt.mkdir(parents=True)
        make_tree(wt, nfiles)
        t = time.perf_counter()
        for cmd in cmds:
            run(cmd, wt, env)
        print(f"{tool}: built {nfiles} files in {time.perf_counter() - t:.1f} s",
              file=sys.stderr)
        done.touch()
    return trees


def time_pair(trees: dict[str, Path], env: dict, runs: int) -> dict[str, tuple[float, float]]:
    """{tool: (best wall s, best CPU s)} over ``runs``, alternating git and ldv."""
    cmds = {"git": ["git", "status", "--porcelain"],
            "gituc": ["git", "status", "--porcelain"],
            "ldv": [ldv_exe(), "status", "--porcelain"]}
    for tool, cmd in cmds.items():
        run(cmd, trees[tool], env)            # warm-up: page cache, index refresh,
        run(cmd, trees[tool], env)            # the untracked/directory caches
    if shutil.which("hyperfine"):
        return _hyperfine(trees, cmds, env, runs)
    best = {tool: (float("inf"), float("inf")) for tool in cmds}
    for _ in range(runs):
        for tool, cmd in cmds.items():
            wall, cpu = run_timed(cmd, trees[tool], env)
            best[tool] = (min(best[tool][0], wall), min(best[tool][1], cpu))
    return best


def _hyperfine(trees, cmds, env, runs) -> dict[str, tuple[float, float]]:
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for tool, cmd in cmds.items():
            js = Path(tmp) / f"{tool}.json"
            subprocess.run(["hyperfine", "-N", "-w", "1", "-r", str(runs), "--export-json",
                            str(js), " ".join(cmd)], cwd=trees[tool], env=env,
                           capture_output=True, check=True)
            r = json.loads(js.read_text())["results"][0]
            out[tool] = (r["min"], min(u + s for u, s in zip(r["user"], r["system"])))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=50_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--keep", type=Path, default=None,
                    help="build the trees here and keep them for the next run")
    ap.add_argument("--ldv", help="the ldv executable to time (default: this "
                    "interpreter's console script)")
    ap.add_argument("--venv", type=Path, help="install the project non-editable into "
                    "this venv (made if missing) and time its ldv")
    args = ap.parse_args()
    global LDV_EXE
    LDV_EXE = installed_venv(args.venv) if args.venv else args.ldv
    base = args.keep or Path(tempfile.mkdtemp(prefix="ldv-bench-status-"))
    base.mkdir(parents=True, exist_ok=True)
    env = environment(base)
    try:
        trees = build(base, args.files, env)
        big = time_pair(trees, env, args.runs)
        small = time_pair(build(base, 10, env), env, args.runs)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    print(f"status, {args.files} files, nothing changed (best of {args.runs}, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}): wall / CPU (user+sys)")
    for name, r in (("git status --porcelain", big["git"]),
                    ("git+uc status --porcelain", big["gituc"]),
                    ("ldv status --porcelain", big["ldv"])):
        print(f"  {name:26} {r[0] * 1000:7.1f} ms  {r[1] * 1000:7.1f} ms")
    print(f"  ratio ldv/git              {big['ldv'][0] / big['git'][0]:7.2f}  "
          f"{big['ldv'][1] / big['git'][1]:7.2f}   (target <= 1.5)")
    print(f"  ratio ldv/git+uc           {big['ldv'][0] / big['gituc'][0]:7.2f}  "
          f"{big['ldv'][1] / big['gituc'][1]:7.2f}")
    print(f"status, 10 files: git {small['git'][0] * 1000:.1f} ms, ldv "
          f"{small['ldv'][0] * 1000:.1f} ms wall ({small['ldv'][1] * 1000:.1f} ms CPU; "
          f"target well under 200 ms)")
    print(f"ldv: {ldv_exe()}")


if __name__ == "__main__":
    main()
