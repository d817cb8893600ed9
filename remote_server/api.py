"""The HTTP views of /v1/repos/{repo}/...: thin, they validate, call, and answer JSON.

Each view is registered with its method, path, role and summary in ``ENDPOINTS``;
app.py builds the routes and /openapi.json from that one table.  Storage is
reached through the Services object (in threadpool calls: the stores block).
"""
from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
from dataclasses import dataclass
from typing import Callable

from starlette.concurrency import run_in_threadpool as blocking
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from ldv.plumbing.errors import LdvError, MissingPack

from . import packs
from .auth import actor_of, authorize, remote_addr
from .errors import NotFound, TooLarge, ValidationFailed
from .services import keyring_name, part_name
from .validate import check_hex_id, check_repo_name


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    role: str
    summary: str
    view: Callable


ENDPOINTS: list[Endpoint] = []


def endpoint(method: str, path: str, role: str):
    def register(view):
        ENDPOINTS.append(Endpoint(method, "/v1/repos/{repo}" + path, role,
                                  (view.__doc__ or "").strip().split("\n")[0], view))
        view.role = role
        return view
    return register


# -- request helpers -------------------------------------------------------------------

async def read_body(request: Request, limit: int, timeout: float) -> bytes:
    """The whole body, refusing more than ``limit`` bytes or a sender slower than ``timeout``."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"request body of {declared} bytes exceeds {limit}",
                       hint="send smaller batches or parts")
    chunks, n = [], 0
    try:
        async with asyncio.timeout(timeout):
            async for chunk in request.stream():
                n += len(chunk)
                if n > limit:
                    raise TooLarge(f"request body exceeds {limit} bytes",
                                   hint="send smaller batches or parts")
                chunks.append(chunk)
    except TimeoutError:
        raise ValidationFailed("request body took too long to arrive", code="timeout",
                               hint="check the network and retry") from None
    return b"".join(chunks)


async def read_json(request: Request) -> dict:
    svc = request.app.state.svc
    body = await read_body(request, svc.limits.max_json_bytes, svc.limits.body_timeout_s)
    svc.metrics.add_bytes(received=len(body))
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed("request body is not valid JSON") from None
    if not isinstance(doc, dict):
        raise ValidationFailed("request body must be a JSON object")
    return doc


def id_list(doc: dict, key: str, limit: int) -> list[str]:
    items = doc.get(key, [])
    if not isinstance(items, list) or len(items) > limit:
        raise ValidationFailed(f"{key!r} must be a list of at most {limit} ids")
    return [check_hex_id(i) for i in items]


async def context(request: Request, action: str):
    """(services, repo name, repo id, token) for a view that needs ``view.role``."""
    app = request.app.state
    repo = check_repo_name(request.path_params["repo"])
    role = request.scope["endpoint"].role
    token = await authorize(request, app.svc, app.token_cache, repo, role, action)
    rid = app.svc.store.cached_repo_id(repo) or await blocking(app.svc.store.repo_id, repo)
    return app.svc, repo, rid, token


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def unb64(text) -> bytes:
    try:
        return base64.b64decode(text or "", validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise ValidationFailed("'sealed' must be base64") from None


# -- refs --------------------------------------------------------------------------------

@endpoint("GET", "/refs", "read")
async def list_refs(request: Request):
    """List refs: name, target commit id, sealed value (base64) and version."""
    svc, repo, rid, _tok = await context(request, "refs.list")
    as_json = getattr(svc.store, "alist_refs_json", None)
    if as_json:             # PostgreSQL renders the body: no per-ref Python work
        return Response(await as_json(rid), media_type="application/json")
    refs = await blocking(svc.store.list_refs, repo)
    return JSONResponse({"refs": [{"name": r.name, "target": r.target, "sealed": b64(r.sealed),
                                   "version": r.version} for r in refs]})


@endpoint("POST", "/refs", "write")
async def update_ref(request: Request):
    """Compare-and-swap one ref (create: expected_version 0; delete: target null)."""
    svc, repo, _rid, tok = await context(request, "ref.update")
    doc = await read_json(request)
    name, expected = doc.get("name"), doc.get("expected_version")
    target, force = doc.get("target"), bool(doc.get("force", False))
    if not isinstance(name, str) or not isinstance(expected, int) or expected < 0:
        raise ValidationFailed("need 'name' (string) and 'expected_version' (integer >= 0)")
    detail = f"v{expected} -> {target or 'deleted'}{' (force)' if force else ''}"
    try:
        version = await blocking(svc.store.update_ref, repo, name, expected_version=expected,
                                 target=target, sealed=unb64(doc.get("sealed")), force=force)
    except LdvError as e:
        await blocking(svc.store.audit, repo, actor_of(tok), "ref.update", str(name)[:255],
                       allowed=False, detail=f"{detail}: {e.message}"[:500],
                       remote=remote_addr(request))
        raise
    await blocking(svc.store.audit, repo, actor_of(tok), "ref.update", name, allowed=True,
                   detail=detail, remote=remote_addr(request))
    return JSONResponse({"name": name, "version": version})


# -- objects and packs -------------------------------------------------------------------

@endpoint("POST", "/objects/lookup", "read")
async def lookup_objects(request: Request):
    """Which of these object ids the server has, and where: {id: [pack, off, len, kind]}."""
    svc, repo, _rid, _tok = await context(request, "objects.lookup")
    ids = id_list(await read_json(request), "ids", svc.limits.max_ids_per_request)
    found = await blocking(svc.store.lookup_objects, repo, ids)
    return JSONResponse({"found": {o: [e.pack, e.off, e.len, e.kind] for o, e in found.items()}})


@endpoint("POST", "/commits/known", "read")
async def known_commits(request: Request):
    """Which of these commit ids are registered commits: {"known": [...]}."""
    svc, repo, _rid, _tok = await context(request, "commits.known")
    ids = id_list(await read_json(request), "ids", svc.limits.max_ids_per_request)
    known = await blocking(svc.store.known_commits, repo, ids)
    return JSONResponse({"known": sorted(known)})


@endpoint("GET", "/uploads/{pack}", "write")
async def upload_status(request: Request):
    """Parts of an unfinished pack upload that arrived: {"parts": {index: size}}."""
    svc, _repo, rid, _tok = await context(request, "pack.upload")
    parts = await blocking(packs.received_parts, svc, rid, request.path_params["pack"])
    return JSONResponse({"parts": {str(i): n for i, n in sorted(parts.items())}})


@endpoint("PUT", "/uploads/{pack}/{index:int}", "write")
async def upload_part(request: Request):
    """Store one part of a pack (raw bytes; optional X-Ldv-Blake3 of the part)."""
    svc, _repo, rid, _tok = await context(request, "pack.upload")
    body = await read_body(request, svc.limits.max_part_bytes, svc.limits.body_timeout_s)
    svc.metrics.add_bytes(received=len(body), pack=len(body))
    index, pack = request.path_params["index"], request.path_params["pack"]
    await blocking(packs.store_part, svc, rid, pack, index, body,
                   request.headers.get("x-ldv-blake3"))
    return JSONResponse({"index": index, "size": len(body)})


@endpoint("POST", "/packs", "write")
async def finish_pack(request: Request):
    """Finish an upload: assemble parts, verify BLAKE3 = name, register the entries."""
    svc, repo, rid, _tok = await context(request, "pack.finish")
    doc = await read_json(request)
    pack, size, kind, n = doc.get("pack"), doc.get("size"), doc.get("kind"), doc.get("parts")
    if not isinstance(n, int) or not isinstance(doc.get("entries"), list):
        raise ValidationFailed("need 'pack', 'size', 'kind', 'parts' and 'entries'")
    added = await blocking(packs.finish, svc, repo, rid, str(pack), size, kind, n,
                           doc["entries"])
    return JSONResponse({"pack": pack, "registered": True, "new": added})


@endpoint("GET", "/packs/{pack}", "read")
async def read_pack(request: Request):
    """A registered pack's bytes; a `Range: bytes=a-b` header gives a 206 slice."""
    svc, repo, rid, _tok = await context(request, "pack.read")
    pack = check_hex_id(request.path_params["pack"])
    info = await blocking(svc.store.get_pack, repo, pack)
    if not info:
        raise NotFound(f"no pack {pack[:12]} in {repo}", code="pack_not_found")
    start, end = parse_range(request.headers.get("range"), info.size)
    headers = {"accept-ranges": "bytes", "content-length": str(end - start)}
    status = 200
    if (start, end) != (0, info.size):
        status = 206
        headers["content-range"] = f"bytes {start}-{end - 1}/{info.size}"
    spans = [(info, start, end)]
    return StreamingResponse(_spans(svc, rid, spans), status_code=status,
                             headers=headers, media_type="application/octet-stream")


def parse_range(header: str | None, size: int) -> tuple[int, int]:
    """[start, end) of a single `bytes=a-b` range (or the whole object)."""
    if not header:
        return 0, size
    m = re.fullmatch(r"bytes=(\d*)-(\d*)", header.strip())
    if not m or (not m[1] and not m[2]):
        raise ValidationFailed(f"unsupported Range {header[:40]!r}", code="bad_range")
    if not m[1]:
        start, end = max(0, size - int(m[2])), size
    else:
        start = int(m[1])
        end = min(size, int(m[2]) + 1) if m[2] else size
    if start >= size or end <= start:
        raise ValidationFailed(f"range {header[:40]!r} is outside 0..{size}", code="bad_range")
    return start, end


MAX_SPANS = 10_000


@endpoint("POST", "/packs/{pack}/spans", "read")
async def read_pack_spans(request: Request):
    """Many byte ranges of one pack, concatenated in request order:
    {"spans": [[offset, length], ...]} (the entries a client lacks, batched)."""
    svc, repo, rid, _tok = await context(request, "pack.read")
    pack = check_hex_id(request.path_params["pack"])
    doc = await read_json(request)
    info = await blocking(svc.store.get_pack, repo, pack)
    if not info:
        raise NotFound(f"no pack {pack[:12]} in {repo}", code="pack_not_found")
    raw = doc.get("spans")
    if not isinstance(raw, list) or not raw or len(raw) > MAX_SPANS:
        raise ValidationFailed(f"'spans' must be a list of 1 to {MAX_SPANS} [offset, length]")
    spans = []
    for item in raw:
        ok = isinstance(item, list) and len(item) == 2 and all(
            type(x) is int for x in item)
        if not ok or item[0] < 0 or item[1] <= 0 or item[0] + item[1] > info.size:
            raise ValidationFailed(f"span {str(item)[:40]} is outside 0..{info.size}",
                                   code="bad_range")
        spans.append((info, item[0], item[0] + item[1]))
    total = sum(end - start for _, start, end in spans)
    return StreamingResponse(_spans(svc, rid, spans), headers={"content-length": str(total)},
                             media_type="application/octet-stream")


@endpoint("GET", "/packs/{pack}/urls", "read")
async def pack_urls(request: Request):
    """Short-lived direct URLs of a pack's parts, when the object store can make them
    (S3): clients then download ciphertext straight from the store."""
    svc, repo, rid, _tok = await context(request, "pack.read")
    pack = check_hex_id(request.path_params["pack"])
    info = await blocking(svc.store.get_pack, repo, pack)
    if not info:
        raise NotFound(f"no pack {pack[:12]} in {repo}", code="pack_not_found")
    presign = getattr(svc.backend, "presign", None)
    if presign is None:
        raise NotFound("this server streams packs itself", code="no_direct_urls",
                       hint="download /packs/{pack} instead")
    psize = info.part_size or info.size
    n = max(1, -(-info.size // psize))
    urls = [await blocking(presign, part_name(rid, pack, i), 3600) for i in range(n)]
    return JSONResponse({"size": info.size, "part_size": psize, "urls": urls})


@endpoint("GET", "/packs/{pack}/entries", "read")
async def pack_entries(request: Request):
    """A registered pack's size, kind and entries: [[oid, offset, length, kind], ...]."""
    svc, repo, _rid, _tok = await context(request, "pack.entries")
    pack = check_hex_id(request.path_params["pack"])
    info = await blocking(svc.store.get_pack, repo, pack)
    if not info:
        raise NotFound(f"no pack {pack[:12]} in {repo}", code="pack_not_found")
    rows = await blocking(svc.store.pack_entries, repo, pack)
    return JSONResponse({"pack": pack, "size": info.size, "kind": info.kind,
                         "entries": [[e.oid, e.off, e.len, e.kind] for e in rows]})


# -- commit graph and negotiation -------------------------------------------------------

@endpoint("POST", "/graph", "write")
async def add_graph(request: Request):
    """Register commits {id: [parent ids]} and the packs their push brought."""
    svc, repo, _rid, _tok = await context(request, "graph.add")
    doc = await read_json(request)
    commits = doc.get("commits")
    limit = svc.limits.max_ids_per_request
    if not isinstance(commits, dict) or len(commits) > limit or not all(
            isinstance(p, list) and len(p) <= 64 for p in commits.values()):
        raise ValidationFailed("'commits' must map commit ids to lists of parent ids")
    pack_list = id_list(doc, "packs", limit)
    await blocking(svc.store.add_commits, repo, commits, pack_list)
    return JSONResponse({"commits": len(commits)})


@endpoint("POST", "/negotiate", "read")
async def negotiate(request: Request):
    """One round trip: the commits wants reach and haves do not, and their packs."""
    svc, repo, _rid, _tok = await context(request, "negotiate")
    doc = await read_json(request)
    wants, haves = id_list(doc, "wants", 1000), id_list(doc, "haves", 1000)
    depth, kinds = doc.get("depth"), doc.get("kinds") or ["data", "meta"]
    if depth is not None and (not isinstance(depth, int) or depth < 1):
        raise ValidationFailed("'depth' must be a positive integer")
    commits = await blocking(svc.store.missing_commits, repo, wants, haves, depth)
    found = await blocking(svc.store.packs_for_commits, repo, commits)
    out = [{"pack": p.name, "size": p.size, "kind": p.kind} for p in found if p.kind in kinds]
    parents = {}
    if doc.get("parents"):      # shallow fetches: the client records its boundary
        parents = await blocking(svc.store.parents_of, repo, commits)
    if doc.get("entries"):
        for item in out:
            rows = await blocking(svc.store.pack_entries, repo, item["pack"])
            item["entries"] = [[e.oid, e.off, e.len, e.kind] for e in rows]
    reply = {"commits": commits, "packs": out}
    if doc.get("parents"):
        reply["parents"] = parents
    return JSONResponse(reply)


# -- keyring -----------------------------------------------------------------------------

@endpoint("GET", "/keyring", "read")
async def get_keyring(request: Request):
    """The repository's encrypted keyring (opaque bytes); 404 until one is pushed."""
    svc, _repo, rid, _tok = await context(request, "keyring.read")
    try:
        data = await blocking(svc.backend.get, keyring_name(rid))
    except MissingPack:
        raise NotFound("this repository has no keyring yet", code="no_keyring",
                       hint="push from a clone that has one") from None
    svc.metrics.add_bytes(sent=len(data))
    return Response(data, media_type="application/octet-stream")


@endpoint("PUT", "/keyring", "write")
async def put_keyring(request: Request):
    """Replace the encrypted keyring (opaque bytes, at most 1 MiB)."""
    svc, repo, rid, tok = await context(request, "keyring.write")
    data = await read_body(request, 1 << 20, svc.limits.body_timeout_s)
    if not data:
        raise ValidationFailed("empty keyring")
    await blocking(svc.backend.put, keyring_name(rid), data)
    await blocking(svc.store.audit, repo, actor_of(tok), "keyring.write", "keyring",
                   allowed=True, detail=f"{len(data)} bytes", remote=remote_addr(request))
    return JSONResponse({"size": len(data)})


@endpoint("POST", "/objects/read", "read")
async def read_objects(request: Request):
    """Raw bytes of many objects in one response, concatenated in request order."""
    svc, repo, rid, _tok = await context(request, "objects.read")
    ids = id_list(await read_json(request), "ids", 10_000)
    found = await blocking(svc.store.lookup_objects, repo, ids)
    lost = [i for i in ids if i not in found]
    if lost:
        raise NotFound(f"object {lost[0][:12]} is not on the server", code="object_not_found")
    infos = {}
    for p in {found[i].pack for i in ids}:
        infos[p] = await blocking(svc.store.get_pack, repo, p)
    spans = [(infos[found[i].pack], found[i].off, found[i].off + found[i].len) for i in ids]
    total = sum(end - start for _, start, end in spans)
    return StreamingResponse(_spans(svc, rid, spans), headers={"content-length": str(total)},
                             media_type="application/octet-stream")


def _spans(svc, rid: int, spans):
    """Stream [start, end) of each (pack info, start, end); run in a thread by Starlette."""
    for info, start, end in spans:
        for data in packs.read_span(svc, rid, info, start, end):
            svc.metrics.add_bytes(sent=len(data))
            yield data
