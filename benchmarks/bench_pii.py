"""PII scan throughput on JSONL chat data: ldv's scanner against presidio's
AnalyzerEngine (blank spaCy, its predefined recognizers) on a sample of the same data.

Target (issue 7): >= 50 MB/s for ldv, with recall at least presidio's.

    python benchmarks/bench_pii.py [--mb 64] [--pii-rate 0.02] [--sample 200]
                                   [--jobs N] [--repeat 3] [--data chat|arith]
                                   [--presidio-phone]

The data (--data chat): chat records (system/user/assistant turns of Faker
sentences, ~400 bytes each) of which --pii-rate carry one PII value of a random
type in the user turn.  --data arith: digit-heavy chat records, arithmetic
questions and worked answers ("What is 48213 - 9731?", "48213 - 9731 = 38482"),
where presidio's phone check runs on nearly every field (--pii-rate unused).
presidio runs on --sample records of a PII-rich sample (chat: 30% of records; it is
~1000x slower); both rates are reported and their ratio, and the findings on the
sample are compared (ldv must miss none of presidio's and add none).
--presidio-phone: also scan the data with presidio's own PhoneRecognizer.analyze in
ldv's scanner (the code before phone.PhoneScan), in the same run, as a peer.
--ldv-tree DIR: scan with the ldv of another revision instead of the installed
one (DIR: `git archive REV | tar -x -C DIR`), to compare revisions on the same
data: run the bench once with it and once without, one after the other.
"""
from __future__ import annotations

import argparse
import io
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def make_chat(mb: float, pii_rate: float, seed: int = 1) -> bytes:
    from faker import Faker
    from tests.porcelain.pii.corpus import generators
    fake, rng = Faker("en_US"), random.Random(seed)
    Faker.seed(seed)
    pool = [fake.sentence(nb_words=rng.randint(6, 18)) for _ in range(3000)]
    gens = list(generators(fake, rng).values())
    out, size, n = [], 0, 0
    while size < mb * 1e6:
        user = " ".join(rng.choice(pool) for _ in range(2))
        if rng.random() < pii_rate:
            make, template = rng.choice(gens)
            user = f"{user} {template.format(make())}"
        rec = {"id": n, "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": user},
            {"role": "assistant", "content": " ".join(rng.choice(pool) for _ in range(3))}]}
        line = json.dumps(rec) + "\n"
        out.append(line)
        size += len(line)
        n += 1
    return "".join(out).encode()


def make_arith(mb: float, seed: int = 1) -> bytes:
    """Arithmetic chat records: numbers of 1 to 7 digits, sums and answers."""
    rng = random.Random(seed)

    def num() -> str:
        return str(rng.randint(0, 10 ** rng.randint(1, 6)))
    out, size, n = [], 0, 0
    while size < mb * 1e6:
        a, b, op = num(), num(), rng.choice("+-*/")
        question = rng.choice([f"What is {a} {op} {b}?", f"Compute {a} {op} {b}.",
                               f"I had {a} coins and spent {b}. How many are left?"])
        answer = f"{a} {op} {b} = {rng.randint(0, 10 ** 7)}. The answer is {num()}."
        rec = {"id": n, "messages": [{"role": "user", "content": question},
                                     {"role": "assistant", "content": answer}]}
        line = json.dumps(rec) + "\n"
        out.append(line)
        size += len(line)
        n += 1
    return "".join(out).encode()


def _cpu() -> float:
    """CPU seconds of this process and of its reaped children (the scan's workers)."""
    import resource
    return sum(r.ru_utime + r.ru_stime for r in (resource.getrusage(resource.RUSAGE_SELF),
                                                 resource.getrusage(resource.RUSAGE_CHILDREN)))


def bench_ldv(data: bytes, jobs: int | None, repeat: int, presidio_phone: bool = False):
    from ldv.porcelain.pii import ScanOptions, Scanner
    from ldv.porcelain.pii import scanner as scanner_module
    from ldv.porcelain.pii.formats import scan_stream
    # The peer: presidio's PhoneRecognizer.analyze called as it is (what the scanner
    # did before phone.PhoneScan); restored after the runs.
    plain_phone = getattr(scanner_module, "_plain_phone", None)   # (None: --ldv-tree)
    if presidio_phone:
        scanner_module._plain_phone = lambda _recognizer: False
    try:
        return _bench_ldv(data, jobs, repeat, Scanner, ScanOptions, scan_stream)
    finally:
        if plain_phone is not None:
            scanner_module._plain_phone = plain_phone


def _bench_ldv(data, jobs, repeat, Scanner, ScanOptions, scan_stream):
    scanner = Scanner(ScanOptions(jobs=1))
    # Warm up on PII-rich records: presidio compiles its regexes and tldextract
    # builds its suffix trie on first use; the JSONL prefilter is compiled.
    scan_stream(scanner, io.BytesIO(make_chat(0.3, 0.5, seed=2)), "warm.jsonl")
    if hasattr(scanner, "prepare"):
        scanner.prepare(jsonl=True)
    else:                                       # an older tree (--ldv-tree)
        scanner.engine.jsonl_prefilter()
    runs = []
    for _ in range(repeat):
        # A new scanner each run: one remembers the strings it analyzed.
        scanner = Scanner(ScanOptions(jobs=jobs))
        t, c = time.perf_counter(), _cpu()
        found = scan_stream(scanner, io.BytesIO(data), "chat.jsonl")
        runs.append((time.perf_counter() - t, _cpu() - c))
    return runs, found


def bench_presidio(sample: bytes, threshold: float):
    from ldv.porcelain.pii.formats import strings
    from ldv.porcelain.pii.registry import get_engine
    analyzer = get_engine().analyzer       # presidio's AnalyzerEngine, blank spaCy
    t, found = time.perf_counter(), set()
    for n, line in enumerate(sample.splitlines(), 1):
        for path, text in strings(json.loads(line)):
            for r in analyzer.analyze(text=text, language="en"):
                if r.score >= threshold:
                    found.add((n, path, r.entity_type, r.start, r.end))
    return time.perf_counter() - t, found


def use_tree(tree: str) -> None:
    """Import ldv from the source tree ``tree`` (laid out as the package that
    setup.cfg's package_dir makes) rather than from the installed one."""
    import os
    import tempfile
    tree = os.path.abspath(tree)
    pkg = tempfile.mkdtemp(prefix="ldv-tree-")
    os.makedirs(os.path.join(pkg, "ldv"))
    for name in os.listdir(os.path.join(tree, "ldv")):
        os.symlink(os.path.join(tree, "ldv", name), os.path.join(pkg, "ldv", name))
    for sub in ("porcelain", "plumbing", "remote_server"):
        os.symlink(os.path.join(tree, sub), os.path.join(pkg, "ldv", sub))
    # an editable install's finder would still answer for `ldv.porcelain`
    sys.meta_path[:] = [f for f in sys.meta_path if "editable" not in repr(f).lower()]
    sys.path.insert(0, pkg)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=64)
    ap.add_argument("--pii-rate", type=float, default=0.02)
    ap.add_argument("--sample", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=None,
                    help="scan worker processes (default: the cores, at most 4)")
    ap.add_argument("--repeat", type=int, default=3, help="ldv runs; the median is reported")
    ap.add_argument("--data", choices=("chat", "arith"), default="chat")
    ap.add_argument("--presidio-phone", action="store_true",
                    help="also run ldv with presidio's own PhoneRecognizer.analyze (peer)")
    ap.add_argument("--ldv-tree", metavar="DIR",
                    help="scan with the ldv source tree DIR (another revision) instead")
    a = ap.parse_args()
    if a.ldv_tree:
        if a.presidio_phone:
            ap.error("--presidio-phone needs this revision's scanner, not --ldv-tree's")
        use_tree(a.ldv_tree)
    data = make_chat(a.mb, a.pii_rate) if a.data == "chat" else make_arith(a.mb)
    load_before = _loadavg()
    runs, found = bench_ldv(data, a.jobs, a.repeat)
    secs, cpu = sorted(runs)[len(runs) // 2]
    peer = {}
    if a.presidio_phone:
        pruns, pfound = bench_ldv(data, a.jobs, a.repeat, presidio_phone=True)
        psecs_, pcpu = sorted(pruns)[len(pruns) // 2]
        key = lambda f: (f.line, f.field, f.entity, f.start, f.end, f.score)  # noqa: E731
        same = sorted(map(key, found)) == sorted(map(key, pfound))
        peer = {"presidio_phone_MBps": round(len(data) / psecs_ / 1e6, 3),
                "presidio_phone_MBps_runs": [round(len(data) / w / 1e6, 3) for w, _ in pruns],
                "presidio_phone_cpu_seconds": round(pcpu, 3),
                "wall_ratio_vs_presidio_phone": round(psecs_ / secs, 1),
                "cpu_ratio_vs_presidio_phone": round(pcpu / cpu, 1),
                "same_findings_as_presidio_phone": same,
                "loadavg_after_peer": _loadavg()}
    # The comparison sample is PII-rich (chat: 30% of records) so that recall is tested.
    sample_data = make_chat(1, 0.3, seed=3) if a.data == "chat" else make_arith(1, seed=3)
    sample = b"".join(sample_data.splitlines(keepends=True)[:a.sample])
    psecs, pfound = bench_presidio(sample, 0.4)
    from ldv.porcelain.pii import Scanner
    from ldv.porcelain.pii.formats import scan_stream
    ours = {(f.line, f.field, f.entity, f.start, f.end)
            for f in scan_stream(Scanner(), io.BytesIO(sample), "s.jsonl")}
    mbps, pmbps = len(data) / secs / 1e6, len(sample) / psecs / 1e6
    r = _rate                     # (digit-heavy data runs under 1 MB/s: more digits)
    print(json.dumps({
        "data": a.data, "ldv_tree": a.ldv_tree or "installed",
        "bytes": len(data), "records": data.count(b"\n"),
        "pii_rate": a.pii_rate if a.data == "chat" else None,
        "ldv_seconds": round(secs, 3), "ldv_MBps": r(mbps),
        "ldv_MBps_runs": [r(len(data) / w / 1e6) for w, _ in runs],
        # On a shared machine wall time includes waiting for a core; CPU time does
        # not (it sums the parent's and the workers').
        "ldv_cpu_seconds": round(cpu, 3), "ldv_MBps_per_cpu_second": r(len(data) / cpu / 1e6),
        "loadavg_before_after": [load_before, _loadavg()], **peer,
        "ldv_findings": len(found),
        "presidio_sample_records": a.sample, "presidio_MBps": round(pmbps, 4),
        "speedup": round(mbps / pmbps), "sample_presidio_findings": len(pfound),
        "sample_missed_by_ldv": len(pfound - ours), "sample_extra_in_ldv": len(ours - pfound),
        "target_MBps": 50, "met": mbps >= 50}, indent=2))


def _rate(mbps: float) -> float:
    return round(mbps, 1) if mbps >= 10 else round(mbps, 3)


def _loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


if __name__ == "__main__":
    main()
