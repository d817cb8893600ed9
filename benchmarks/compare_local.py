"""ldv side by side with git and restic on the same data (issue 3's Targets).

    python benchmarks/compare_local.py --size-mib 512 --files 50000 --out results.md

Measures, each tool on the same bytes in fresh folders on the same disk:

1. commit   first version of a JSONL file: `ldv add . && ldv commit`,
            `git add && git commit`, `restic backup`.
2. storage  five more versions, each with 1% of the records edited at scattered
            places; bytes stored after all six versus after the first
            (ldv: .ldv/objects after `ldv gc`; git: .git after `git gc`;
            restic: the repository folder).
3. checkout the oldest version, then back to the newest: `ldv checkout`,
            `git checkout`, `restic restore` (into an empty folder).
4. status   a tree of N small files with nothing changed: `ldv status` vs
            `git status` (best of 3 after one warm-up run).

The commands are printed with the figures.  Nothing here is mocked: every tool
runs as a subprocess, as a user would run it.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEY = "5a" * 32
WORDS = ("the model answer question data token train eval prompt reply user assistant "
         "system value number list item table query result label score text code").split()


# -- data ---------------------------------------------------------------------------

def make_records(size: int, seed: int = 1) -> list[bytes]:
    """JSONL records of chat-like text adding up to about ``size`` bytes."""
    rnd = random.Random(seed)
    out, total, i = [], 0, 0
    while total < size:
        text = " ".join(rnd.choices(WORDS, k=rnd.randint(20, 120)))
        rec = json.dumps({"id": i, "role": rnd.choice(("user", "assistant")),
                          "text": text, "score": round(rnd.random(), 4)}).encode() + b"\n"
        out.append(rec)
        total += len(rec)
        i += 1
    return out


def edit_records(records: list[bytes], fraction: float, seed: int) -> list[bytes]:
    """A new version with ``fraction`` of the records changed at random places."""
    rnd = random.Random(seed)
    new = list(records)
    for i in rnd.sample(range(len(new)), max(1, int(len(new) * fraction))):
        rec = json.loads(new[i])
        words = rec["text"].split()
        words[rnd.randrange(len(words))] = rnd.choice(WORDS).upper()
        rec["text"] = " ".join(words)
        rec["score"] = round(rnd.random(), 4)
        new[i] = json.dumps(rec).encode() + b"\n"
    return new


def write_file(path: Path, records: list[bytes]) -> None:
    with open(path, "wb") as f:
        f.writelines(records)


# -- running ------------------------------------------------------------------------

def timed(cmd: list[str], cwd: Path, env: dict, *, quiet: bool = False
          ) -> tuple[float, float]:
    """(wall s, CPU s: user + system of the child and its threads) of ``cmd`` run to
    completion; it must succeed, and with ``quiet`` print nothing (e.g. the status
    of an unchanged tree)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)   # microseconds, where
    t = time.perf_counter()                                  # os.times() counts ticks
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr.decode()[-500:]}")
    if quiet and p.stdout:
        raise SystemExit(f"{' '.join(cmd)} printed output where none was expected:\n"
                         f"{p.stdout.decode()[:500]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def run(cmd: list[str], cwd: Path, env: dict) -> float:
    return timed(cmd, cwd, env)[0]


def run_all(cmds: list[list[str]], cwd: Path, env: dict) -> float:
    return sum(run(c, cwd, env) for c in cmds)


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


class Tool:
    name = ""

    def __init__(self, base: Path, env: dict):
        self.base = base
        self.env = env

    def available(self) -> bool:
        return shutil.which(self.name) is not None


class LdvTool(Tool):
    name = "ldv"

    def setup(self, wt: Path):
        run(["ldv", "init", "-q", str(wt)], self.base, self.env)

    def commit_cmds(self, msg):
        return [["ldv", "-q", "add", "."], ["ldv", "-q", "commit", "-m", msg]]

    def stored(self, wt: Path) -> int:
        return du(wt / ".ldv" / "objects")

    def compact(self, wt: Path) -> float:
        return run(["ldv", "-q", "gc"], wt, self.env)

    def checkout(self, wt: Path, rev: str, target: Path) -> float:
        return run(["ldv", "-q", "checkout", rev], wt, self.env)


class GitTool(Tool):
    name = "git"

    def setup(self, wt: Path):
        run(["git", "init", "-q", "-b", "main", str(wt)], self.base, self.env)

    def commit_cmds(self, msg):
        return [["git", "add", "."], ["git", "commit", "-q", "-m", msg]]

    def stored(self, wt: Path) -> int:
        return du(wt / ".git")

    def compact(self, wt: Path) -> float:
        return run(["git", "gc", "-q"], wt, self.env)

    def checkout(self, wt: Path, rev: str, target: Path) -> float:
        # -f: git's index entry for a file written by the previous checkout is
        # "racily clean" (same second), so a plain checkout re-hashes 512 MiB
        # first (~25-40 s) -- not the work ldv or restic do; -f writes the file
        # as a clean checkout would
        return run(["git", "checkout", "-q", "-f", rev], wt, self.env)


class ResticTool(Tool):
    name = "restic"

    def setup(self, wt: Path):
        wt.mkdir(parents=True, exist_ok=True)
        run(["restic", "init", "-q", "-r", str(self.repo(wt))], self.base, self.env)
        self.snapshots: list[str] = []

    def repo(self, wt: Path) -> Path:
        return wt.parent / (wt.name + ".restic")

    def commit_cmds(self, msg):
        return [["restic", "backup", "-q", "-r", "{repo}", "--tag", msg, "."]]

    def stored(self, wt: Path) -> int:
        return du(self.repo(wt))

    def compact(self, wt: Path) -> float:
        return 0.0

    def checkout(self, wt: Path, rev: str, target: Path) -> float:
        shutil.rmtree(target, ignore_errors=True)
        snap = "latest" if rev == "newest" else self._oldest(wt)
        return run(["restic", "restore", "-q", "-r", str(self.repo(wt)), snap,
                    "--target", str(target)], wt, self.env)

    def _oldest(self, wt: Path) -> str:
        out = subprocess.run(["restic", "snapshots", "--json", "-r", str(self.repo(wt))],
                             env=self.env, capture_output=True, check=True).stdout
        snaps = sorted(json.loads(out), key=lambda s: s["time"])
        return snaps[0]["short_id"]


def fill(cmds, tool, wt):
    return [[str(tool.repo(wt)) if a == "{repo}" else a for a in c] for c in cmds] \
        if isinstance(tool, ResticTool) else cmds


# -- the measurements ---------------------------------------------------------------

def bench_versions(tool: Tool, versions: list[list[bytes]], base: Path) -> dict:
    wt = base / f"{tool.name}-wt"
    tool.setup(wt)
    path = wt / "data.jsonl"
    write_file(path, versions[0])
    first = run_all(fill(tool.commit_cmds("v1"), tool, wt), wt, tool.env)
    tool.compact(wt)
    size_first = tool.stored(wt)
    later = []
    for i, recs in enumerate(versions[1:], start=2):
        write_file(path, recs)
        later.append(run_all(fill(tool.commit_cmds(f"v{i}"), tool, wt), wt, tool.env))
    gc_time = tool.compact(wt)
    size_all = tool.stored(wt)
    target = base / f"{tool.name}-restore"
    oldest_rev = {"ldv": "HEAD~%d" % (len(versions) - 1),
                  "git": "HEAD~%d" % (len(versions) - 1), "restic": "oldest"}[tool.name]
    t_old = tool.checkout(wt, oldest_rev, target)
    t_new = tool.checkout(wt, "main" if tool.name != "restic" else "newest", target)
    return {"commit_v1_s": first, "commit_later_s": later, "gc_s": gc_time,
            "stored_v1": size_first, "stored_all": size_all,
            "ratio": size_all / size_first if size_first else None,
            "checkout_oldest_s": t_old, "checkout_newest_s": t_new}


def bench_status(tool: Tool, nfiles: int, base: Path) -> float | None:
    if isinstance(tool, ResticTool):
        return None
    wt = base / f"{tool.name}-many"
    tool.setup(wt)
    for i in range(nfiles):
        d = wt / f"d{i // 1000:03d}"
        if i % 1000 == 0:
            d.mkdir(parents=True, exist_ok=True)
        (d / f"f{i:06d}.txt").write_bytes(b"row %d\n" % i)
    run_all(fill(tool.commit_cmds("many"), tool, wt), wt, tool.env)
    cmd = ["ldv", "status", "--porcelain"] if tool.name == "ldv" else \
        ["git", "status", "--porcelain"]
    run(cmd, wt, tool.env)                      # warm-up: page cache, index refresh
    return min(run(cmd, wt, tool.env) for _ in range(3))


def environment(base: Path) -> dict:
    env = dict(os.environ)
    env.update({"LDV_MASTER_KEY": KEY, "XDG_CONFIG_HOME": str(base / "config"),
                "LDV_AUTHOR_NAME": "Bench", "LDV_AUTHOR_EMAIL": "bench@example.org",
                "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.org",
                "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.org",
                "RESTIC_PASSWORD": "bench", "RESTIC_CACHE_DIR": str(base / "restic-cache")})
    return env


def report(args, results: dict, status: dict) -> str:
    mib = args.size_mib
    lines = [f"## Local workflow vs git and restic ({mib} MiB JSONL, {args.versions} versions, "
             f"{args.edit_pct}% of records edited per version; status on {args.files} files)",
             "", "| tool | commit v1 (s) | later commits (s, mean) | stored v1 (MiB) | "
             "stored all (MiB) | all/v1 | checkout oldest (s) | checkout newest (s) | "
             "status (s) |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in results.items():
        later = sum(r["commit_later_s"]) / max(1, len(r["commit_later_s"]))
        st = status.get(name)
        lines.append(f"| {name} | {r['commit_v1_s']:.2f} | {later:.2f} | "
                     f"{r['stored_v1'] / 2**20:.1f} | {r['stored_all'] / 2**20:.1f} | "
                     f"{r['ratio']:.3f} | {r['checkout_oldest_s']:.2f} | "
                     f"{r['checkout_newest_s']:.2f} | {'-' if st is None else f'{st:.3f}'} |")
    lines += ["", "Commands: `ldv add . && ldv commit -m vN`, `ldv gc`, `ldv checkout HEAD~5`, "
              "`ldv checkout main`, `ldv status --porcelain`; `git add . && git commit`, "
              "`git gc`, `git checkout -f HEAD~5 / main`, `git status --porcelain`; "
              "`restic backup .`, `restic restore <oldest|latest> --target DIR`.",
              f"Run: `python benchmarks/compare_local.py --size-mib {mib} --versions "
              f"{args.versions} --files {args.files}` on {os.cpu_count()} cores."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mib", type=int, default=512)
    ap.add_argument("--versions", type=int, default=6)
    ap.add_argument("--edit-pct", type=float, default=1.0)
    ap.add_argument("--files", type=int, default=50_000)
    ap.add_argument("--tools", default="ldv,git,restic")
    ap.add_argument("--workdir", help="where to run (default: a temp folder, removed after)")
    ap.add_argument("--out", help="also write the Markdown table to this file")
    args = ap.parse_args(argv)
    base = Path(args.workdir or tempfile.mkdtemp(prefix="ldv-bench-"))
    base.mkdir(parents=True, exist_ok=True)
    env = environment(base)
    try:
        print(f"generating {args.size_mib} MiB x {args.versions} versions ...", file=sys.stderr)
        versions = [make_records(args.size_mib << 20)]
        for v in range(1, args.versions):
            versions.append(edit_records(versions[-1], args.edit_pct / 100, seed=100 + v))
        tools = [{"ldv": LdvTool, "git": GitTool, "restic": ResticTool}[t](base, env)
                 for t in args.tools.split(",")]
        results, status = {}, {}
        for tool in tools:
            if not tool.available():
                print(f"{tool.name} not installed; skipped", file=sys.stderr)
                continue
            print(f"{tool.name}: versions ...", file=sys.stderr)
            results[tool.name] = bench_versions(tool, versions, base)
            if args.files:
                print(f"{tool.name}: status on {args.files} files ...", file=sys.stderr)
                status[tool.name] = bench_status(tool, args.files, base)
        text = report(args, results, status)
        print(text)
        print(json.dumps({"results": results, "status": status}, indent=1), file=sys.stderr)
        if args.out:
            Path(args.out).write_text(text)
    finally:
        if not args.workdir:
            shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
