"""ldv-server against the store under it, on one machine, same run, same SeaweedFS.

    python benchmarks/bench_server.py [--mib 512] [--clients 32] [--seconds 10]

1. Push / clone throughput: the same random bytes as 64 MiB packs, (a) straight
   to SeaweedFS with boto3 (put_object / get_object), (b) through ldv-server over
   HTTPS on loopback (wire client: resumable parts, then ranged download).
   Target: (b) >= 70% of (a) both ways.
2. Ref reads (`ls-remote`, GET /refs) from N concurrent clients against a server
   on PostgreSQL.  Target: >= 2,000 requests/s with p99 < 50 ms (N = 32).

The server runs as a separate `ldv-server serve` process (S3 on SeaweedFS,
metadata in a fresh PostgreSQL schema) so client and server do not share a GIL.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time

import blake3

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from ldv.plumbing.wire import RemoteClient  # noqa: E402
from tests.fixtures.postgres import PG_URL, fresh_schema  # noqa: E402
from tests.fixtures.seaweed import S3Server, _command, _wait_until_up  # noqa: E402
from tests.remote_server.harness import free_port  # noqa: E402

PACK = 64 << 20


def start_seaweed(root: str):
    cmd, port = _command(root)
    proc = subprocess.Popen(cmd, stdout=open(f"{root}/weed.log", "wb"),
                            stderr=subprocess.STDOUT)
    server = S3Server(f"http://127.0.0.1:{port}")
    if not _wait_until_up(server, proc, time.monotonic() + 60):
        raise SystemExit("SeaweedFS did not start")
    return proc, server


def start_server(root: str, s3: S3Server, bucket: str, schema: str, workers: int):
    # One token stands for 32 clients here: lift the per-token rate limit.
    env = dict(os.environ, AWS_ACCESS_KEY_ID=s3.access_key,
               AWS_SECRET_ACCESS_KEY=s3.secret_key,
               LDV_SERVER_LIMIT_RATE_PER_TOKEN="1000000",
               LDV_SERVER_LIMIT_BURST_PER_TOKEN="1000000")
    opts = ["--data-dir", root, "--s3-endpoint", s3.endpoint, "--s3-bucket", bucket,
            "--database-url", PG_URL, "--database-schema", schema]
    cli = [sys.executable, "-c", "from ldv.remote_server.cli import main; main()"]

    def admin(*args):
        return subprocess.run(cli + list(args) + opts, env=env, check=True,
                              capture_output=True, text=True).stdout

    fp = subprocess.run(cli + ["init-tls", "--data-dir", root], check=True,
                        capture_output=True, text=True).stdout.split()[-1]
    admin("repo", "create", "bench")
    token = admin("token", "create", "--repo", "bench", "--role", "write").split()[-1]
    port = free_port()
    proc = subprocess.Popen(cli + ["serve", "--port", str(port), "--workers", str(workers)]
                            + opts, env=env, stdout=subprocess.DEVNULL,
                            stderr=open(f"{root}/server.log", "wb"))
    url = f"https://127.0.0.1:{port}/bench"
    deadline = time.monotonic() + 60
    while True:
        try:
            RemoteClient(url, token, fingerprint=fp, retries=0).health()
            return proc, url, token, fp
        except Exception:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit(f"ldv-server did not start; see {root}/server.log")
            time.sleep(0.3)


def bench_direct(s3: S3Server, packs: list[bytes]) -> tuple[float, float]:
    client, bucket = s3.client(), s3.new_bucket()
    t = time.perf_counter()
    for i, p in enumerate(packs):
        client.put_object(Bucket=bucket, Key=f"p/{i}", Body=p)
    up = time.perf_counter() - t
    t = time.perf_counter()
    for i, p in enumerate(packs):
        assert len(client.get_object(Bucket=bucket, Key=f"p/{i}")["Body"].read()) == len(p)
    return up, time.perf_counter() - t


def bench_ldv(url, token, fp, packs: list[bytes], tmp: str) -> tuple[float, float]:
    names = [blake3.blake3(p).hexdigest() for p in packs]
    with RemoteClient(url, token, fingerprint=fp) as c:
        t = time.perf_counter()
        for name, p in zip(names, packs):
            c.upload_pack(name, p, "data", [[os.urandom(32).hex(), 0, len(p), "data"]])
        up = time.perf_counter() - t
        t = time.perf_counter()
        for name, p in zip(names, packs):
            dest = os.path.join(tmp, name)
            c.download_pack(name, dest, len(p))
            os.unlink(dest)
        return up, time.perf_counter() - t


def make_refs(url: str, token: str, fp: str, n: int = 8) -> None:
    """A small history and ``n`` branches, so ref reads return something real."""
    with RemoteClient(url, token, fingerprint=fp) as c:
        commits, prev = {}, None
        for _ in range(20):
            oid = os.urandom(32).hex()
            commits[oid], prev = ([prev] if prev else []), oid
        data = os.urandom(20 * 256)
        pack = blake3.blake3(data).hexdigest()
        c.upload_pack(pack, data, "meta", [[o, i * 256, 256, "meta"]
                                           for i, o in enumerate(commits)])
        c.add_graph(commits, [pack])
        for i in range(n):
            c.update_ref(f"refs/heads/b{i}", expected_version=0, target=prev,
                         sealed=os.urandom(69))


def bench_refs_wrk(url: str, token: str, clients: int, seconds: float) -> dict | None:
    """Ref reads measured by wrk (C, so the load generator is not the bottleneck)."""
    import shutil
    if not shutil.which("wrk"):
        return None
    from ldv.plumbing.wire import parse_url
    u = parse_url(url)
    out = subprocess.run(["wrk", "-t2", f"-c{clients}", f"-d{int(seconds)}s", "--latency",
                          "-H", f"Authorization: Bearer {token}",
                          f"{u.base}/v1/repos/{u.repo}/refs"],
                         capture_output=True, text=True, timeout=seconds + 60).stdout
    res = {"tool": "wrk", "clients": clients, "seconds": seconds}
    for line in out.splitlines():
        parts = line.split()
        if parts[:1] == ["Requests/sec:"]:
            res["req_per_s"] = round(float(parts[1]))
        if parts[:1] in (["50%"], ["90%"], ["99%"]):
            v = parts[1]
            ms = float(v[:-2]) if v.endswith("ms") else float(v[:-2]) / 1e3 \
                if v.endswith("us") else float(v[:-1]) * 1e3
            res[f"p{parts[0][:-1]}_ms"] = round(ms, 2)
        if "Non-2xx" in line:
            res["errors"] = int(parts[-1])
    return res


async def bench_refs(url: str, token: str, fp: str, clients: int, seconds: float) -> dict:
    import httpx
    from ldv.plumbing.wire import parse_url, tls_context
    u = parse_url(url)
    ctx = tls_context(u, fingerprint=fp)
    lat: list[float] = []
    stop = time.perf_counter() + seconds

    async def worker(http):
        while time.perf_counter() < stop:
            t = time.perf_counter()
            r = await http.get(f"/v1/repos/{u.repo}/refs")
            r.raise_for_status()
            lat.append(time.perf_counter() - t)

    async with httpx.AsyncClient(base_url=u.base, verify=ctx, timeout=30,
                                 headers={"authorization": f"Bearer {token}"},
                                 limits=httpx.Limits(max_connections=clients)) as http:
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(http) for _ in range(clients)))
        wall = time.perf_counter() - t0
    lat.sort()
    return {"requests": len(lat), "req_per_s": round(len(lat) / wall),
            "p50_ms": round(lat[len(lat) // 2] * 1e3, 2),
            "p99_ms": round(lat[int(len(lat) * 0.99)] * 1e3, 2)}


def bench_transfer(s3, url, token, fp, mib: int, tmp: str) -> dict:
    n = max(1, (mib << 20) // PACK)
    packs = [os.urandom(PACK) for _ in range(n)]
    mb = n * PACK / 1e6
    d_up, d_down = bench_direct(s3, packs)
    l_up, l_down = bench_ldv(url, token, fp, packs, tmp)
    return {"bytes_mb": round(mb), "direct_up_MBps": round(mb / d_up),
            "direct_down_MBps": round(mb / d_down), "ldv_push_MBps": round(mb / l_up),
            "ldv_clone_MBps": round(mb / l_down),
            "push_ratio": round(d_up / l_up, 2), "clone_ratio": round(d_down / l_down, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mib", type=int, default=512)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--skip-transfer", action="store_true")
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="ldv-bench-server-")
    weed, s3 = start_seaweed(root)
    schema = fresh_schema()
    server = None
    try:
        server, url, token, fp = start_server(root, s3, s3.new_bucket(), schema, args.workers)
        result = {}
        if not args.skip_transfer:
            result.update(bench_transfer(s3, url, token, fp, args.mib, root))
        make_refs(url, token, fp)
        result["ref_reads"] = bench_refs_wrk(url, token, args.clients, args.seconds) or \
            asyncio.run(bench_refs(url, token, fp, args.clients, args.seconds))
        print(json.dumps(result, indent=2))
    finally:
        for proc in (server, weed):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
        from ldv.remote_server.postgres import PostgresStore
        PostgresStore(PG_URL, schema=schema).drop_schema()


if __name__ == "__main__":
    main()
