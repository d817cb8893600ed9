"""The HTTP client of ldv-server's protocol (docs/PROTOCOL.md), used by push/fetch/clone.

Speaks in batches (lookups of thousands of ids, parts of megabytes), retries what
is safe to retry, resumes uploads by asking which parts arrived and downloads by
ranged reads from where a partial file stops.  TLS is verified against the system
store, a CA file, or a pinned SHA-256 fingerprint of the server's public key (a
renewed certificate with the same key stays valid); ``http://`` is refused except
for loopback hosts.  Server errors come back as plumbing.errors, keeping the
server's stable code in ``RemoteError.code``.
"""
from __future__ import annotations

import hashlib
import ipaddress
import os
import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence
from urllib.parse import quote, urlsplit

import blake3
import httpx

from .errors import (AuthError, BadInput, NetworkError, NonFastForward, PermissionDenied,
                     RefConflict, RemoteError)

DEFAULT_PART = 8 << 20
LOOKUP_BATCH = 10_000
SPAN_BATCH = 10_000         # ranges per /spans request (the server's limit)
SPAN_BYTES = 32 << 20       # bytes per /spans response
Progress = Callable[[str, int, "int | None"], None]


# -- URLs and TLS ----------------------------------------------------------------------

@dataclass(frozen=True)
class RemoteURL:
    scheme: str
    host: str
    port: int
    repo: str

    @property
    def base(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    def __str__(self) -> str:
        return f"{self.base}/{self.repo}"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_url(url: str) -> RemoteURL:
    """Parse ``https://HOST[:PORT]/REPO``; ``http://`` only for loopback hosts."""
    parts = urlsplit(url)
    repo = parts.path.strip("/")
    if parts.scheme not in ("https", "http") or not parts.hostname or not repo \
            or "/" in repo or parts.query or parts.fragment:
        raise BadInput(f"not a remote URL: {url!r}", hint="use https://HOST[:PORT]/REPO")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise BadInput(f"refusing plain http to {parts.hostname}",
                       hint="use https://; http:// is allowed only for loopback hosts")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return RemoteURL(parts.scheme, parts.hostname, port, repo)


def normalize_fingerprint(fp: str) -> str:
    """``SHA256:AB:CD...`` or ``abcd...`` -> 64 lowercase hex characters."""
    text = fp.strip().lower().removeprefix("sha256:").replace(":", "")
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise BadInput(f"not a SHA-256 fingerprint: {fp!r}",
                       hint="copy it from `ldv-server init-tls` (64 hex characters)")
    return text


def spki_fingerprint(cert_der: bytes) -> str:
    """SHA-256 of a certificate's SubjectPublicKeyInfo, as hex: stable across renewals."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    key = x509.load_der_x509_certificate(cert_der).public_key()
    spki = key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).hexdigest()


def fetch_peer_cert(host: str, port: int, timeout: float = 10.0) -> bytes:
    """The DER certificate a TLS server presents (unverified: the caller pins it)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            with ctx.wrap_socket(sock, server_hostname=host) as tls:
                return tls.getpeercert(binary_form=True)
    except OSError as e:
        raise NetworkError(f"cannot reach {host}:{port} over TLS: {e}",
                           hint="check the URL and that ldv-server runs") from None


def pinned_context(url: RemoteURL, fingerprint: str) -> ssl.SSLContext:
    """A context that trusts exactly the server's current certificate, after checking
    that its public key has the pinned fingerprint.  Every later connection is then
    verified by OpenSSL against that certificate."""
    want = normalize_fingerprint(fingerprint)
    der = fetch_peer_cert(url.host, url.port)
    got = spki_fingerprint(der)
    if got != want:
        raise AuthError(f"{url.host}:{url.port} presents key {got[:16]}..., not the pinned "
                        f"{want[:16]}...", hint="the server changed its key or this is not "
                        "your server; check with its admin before re-pinning")
    ctx = ssl.create_default_context(cadata=ssl.DER_cert_to_PEM_cert(der))
    ctx.check_hostname = False      # the pin, not the name, is the identity
    ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN
    return ctx


def tls_context(url: RemoteURL, *, ca_file: str | None = None,
                fingerprint: str | None = None) -> ssl.SSLContext | bool:
    if url.scheme == "http":
        return False
    if fingerprint:
        return pinned_context(url, fingerprint)
    return ssl.create_default_context(cafile=ca_file) if ca_file \
        else ssl.create_default_context()


# -- the client --------------------------------------------------------------------------

@dataclass(frozen=True)
class RemoteRef:
    name: str
    target: str
    sealed: bytes
    version: int


_BY_CODE = {"non_fast_forward": NonFastForward, "ref_conflict": RefConflict}


def _error(resp: httpx.Response) -> Exception:
    try:
        err = resp.json()["error"]
        code, message, hint = err["code"], err["message"], err.get("hint") or None
    except (ValueError, KeyError, TypeError):
        code, message, hint = "http_error", f"HTTP {resp.status_code}", None
    message = f"remote: {message}"
    if code in _BY_CODE:
        return _BY_CODE[code](message, hint=hint)
    if resp.status_code == 401:
        return AuthError(message, hint=hint or "set LDV_TOKEN or run `ldv login`")
    if resp.status_code == 403:
        return PermissionDenied(message, hint=hint)
    return RemoteError(message, code=code, status=resp.status_code, hint=hint)


class RemoteClient:
    """One repository on one ldv-server."""

    def __init__(self, url: str, token: str | None = None, *, fingerprint: str | None = None,
                 ca_file: str | None = None, timeout: float = 120.0, retries: int = 4,
                 part_size: int = DEFAULT_PART, progress: Progress | None = None,
                 parallel: int = 2):
        self.url = parse_url(url)
        self.parallel = parallel
        self._direct: bool | None = None       # False once the server said "no URLs"
        self._store: httpx.Client | None = None
        self.token, self.retries, self.part_size = token, retries, part_size
        self.progress = progress or (lambda label, done, total: None)
        self._tls = dict(ca_file=ca_file, fingerprint=fingerprint)
        self._timeout = timeout
        self._http = self._connect()

    def _connect(self) -> httpx.Client:
        headers = {"user-agent": "ldv"}
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        return httpx.Client(base_url=self.url.base, headers=headers,
                            verify=tls_context(self.url, **self._tls),
                            timeout=httpx.Timeout(self._timeout, connect=10.0),
                            limits=httpx.Limits(max_connections=8))

    def close(self) -> None:
        self._http.close()
        if self._store is not None:
            self._store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _path(self, tail: str) -> str:
        return f"/v1/repos/{quote(self.url.repo, safe='')}{tail}"

    def request(self, method: str, tail: str, **kw) -> httpx.Response:
        """Send with retries on connection errors, 429 and 5xx; raise typed errors."""
        path = tail if tail in ("/healthz", "/metrics", "/openapi.json") else self._path(tail)
        delay, repinned = 0.2, False
        for attempt in range(self.retries + 1):
            try:
                resp = self._http.request(method, path, **kw)
            except httpx.ConnectError as e:
                if "CERTIFICATE_VERIFY_FAILED" in str(e) and self._tls["fingerprint"] \
                        and not repinned:
                    repinned = True         # renewed certificate: re-check the pinned key
                    self._http.close()
                    self._http = self._connect()
                    continue
                if "CERTIFICATE_VERIFY_FAILED" in str(e):   # retrying will not help
                    reason = str(e).split("certificate verify failed: ")[-1].split(" (_ssl")[0]
                    raise NetworkError(
                        f"{self.url.base} presents a certificate this machine does not "
                        f"trust ({reason})",
                        hint="its admin can renew it with `ldv-server init-tls` (same key)"
                        if self._tls["fingerprint"] else
                        "pin the server's key: --fingerprint SHA256:... (printed by "
                        "`ldv-server init-tls`), or for a remote `ldv config set "
                        "remote.NAME.fingerprint SHA256:...`") from None
                if attempt == self.retries:
                    raise NetworkError(f"cannot reach {self.url.base}: {e}",
                                       hint="check the URL and that ldv-server runs") from None
            except httpx.TransportError as e:
                if attempt == self.retries:
                    raise NetworkError(f"connection to {self.url.base} failed: {e}",
                                       hint="retry; push and clone resume") from None
            else:
                if resp.status_code < 400:
                    return resp
                if resp.status_code not in (429, 500, 502, 503, 504) \
                        or attempt == self.retries:
                    raise _error(resp)
            time.sleep(delay)
            delay = min(delay * 2, 5.0)
        raise NetworkError(f"giving up on {self.url.base}")  # pragma: no cover

    # -- refs ---------------------------------------------------------------------------

    def list_refs(self) -> list[RemoteRef]:
        import base64
        doc = self.request("GET", "/refs").json()
        return [RemoteRef(r["name"], r["target"], base64.b64decode(r["sealed"]), r["version"])
                for r in doc["refs"]]

    def update_ref(self, name: str, *, expected_version: int, target: str | None,
                   sealed: bytes = b"", force: bool = False) -> int:
        """Compare-and-swap ``name``; return its new version."""
        import base64
        body = {"name": name, "expected_version": expected_version, "target": target,
                "sealed": base64.b64encode(sealed).decode(), "force": force}
        try:
            return self.request("POST", "/refs", json=body).json()["version"]
        except RefConflict:
            # A retried request whose first try landed looks like a conflict.
            now = {r.name: r for r in self.list_refs()}.get(name)
            if target is not None and now and now.target == target \
                    and now.version == expected_version + 1 and now.sealed == sealed:
                return now.version
            raise

    # -- objects and packs --------------------------------------------------------------

    def lookup(self, ids: Sequence[str]) -> dict[str, tuple[str, int, int, str]]:
        """id -> (pack, offset, length, kind) for the ids the server has."""
        found: dict = {}
        ids = list(ids)
        for i in range(0, len(ids), LOOKUP_BATCH):
            doc = self.request("POST", "/objects/lookup",
                               json={"ids": ids[i:i + LOOKUP_BATCH]}).json()
            found.update((k, tuple(v)) for k, v in doc["found"].items())
        return found

    def known_commits(self, ids: Sequence[str]) -> set[str]:
        """The ids among ``ids`` that the server has as registered commits."""
        out: set[str] = set()
        ids = list(ids)
        for i in range(0, len(ids), LOOKUP_BATCH):
            doc = self.request("POST", "/commits/known",
                               json={"ids": ids[i:i + LOOKUP_BATCH]}).json()
            out.update(doc["known"])
        return out

    def upload_pack(self, pack: str, source: bytes | str | os.PathLike, kind: str,
                    entries: Iterable[Sequence], *, part_size: int | None = None) -> int:
        """Upload a pack resumably; return how many bytes were sent this time.

        ``source`` is the pack's bytes or a path to its file.  Parts the server
        already holds (from an interrupted push) are not sent again.
        """
        part = part_size or self.part_size
        size = len(source) if isinstance(source, (bytes, bytearray)) else os.path.getsize(source)
        nparts = max(1, -(-size // part))
        have = {int(k): v for k, v in
                self.request("GET", f"/uploads/{pack}").json()["parts"].items()}
        todo = [i for i in range(nparts) if have.get(i) != min(part, size - i * part)]
        done = [size - sum(min(part, size - i * part) for i in todo)]

        def send(i: int) -> int:
            data = _read_span(source, i * part, min(part, size - i * part))
            self.request("PUT", f"/uploads/{pack}/{i}", content=data,
                         headers={"x-ldv-blake3": blake3.blake3(data).hexdigest(),
                                  "content-type": "application/octet-stream"})
            done[0] += len(data)
            self.progress("upload", done[0], size)
            return len(data)

        # Two parts in flight: the server stores one while the next arrives.
        # In order, so the server can hash the pack on arrival.
        sent = 0
        with ThreadPoolExecutor(max_workers=self.parallel) as pool:
            for n in pool.map(send, todo):
                sent += n
        self.request("POST", "/packs", json={"pack": pack, "size": size, "kind": kind,
                                             "parts": nparts,
                                             "entries": [list(e) for e in entries]})
        return sent

    def pack_info(self, pack: str) -> dict:
        """{"pack", "size", "kind", "entries": [[oid, offset, length, kind], ...]}."""
        return self.request("GET", f"/packs/{pack}/entries").json()

    def pack_entries(self, pack: str) -> list[tuple[str, int, int, str]]:
        return [tuple(e) for e in self.pack_info(pack)["entries"]]

    def read_pack(self, pack: str, offset: int = 0, length: int | None = None) -> bytes:
        headers = {}
        if offset or length is not None:
            end = "" if length is None else str(offset + length - 1)
            headers["range"] = f"bytes={offset}-{end}"
        return self.request("GET", f"/packs/{pack}", headers=headers).content

    def read_spans(self, pack: str, spans: Sequence[tuple[int, int]]) -> list[bytes]:
        """The bytes of many (offset, length) ranges of one pack, in order; one
        request per batch of at most SPAN_BATCH ranges or SPAN_BYTES bytes."""
        out: list[bytes] = []
        batch: list[tuple[int, int]] = []
        size = 0
        for span in list(spans) + [None]:
            if batch and (span is None or len(batch) == SPAN_BATCH
                          or size + span[1] > SPAN_BYTES):
                data = self.request("POST", f"/packs/{pack}/spans",
                                    json={"spans": [list(b) for b in batch]}).content
                if len(data) != size:
                    raise NetworkError(f"pack {pack[:12]}: {len(data)} of {size} bytes "
                                       "arrived", hint="run the command again")
                pos = 0
                for _off, n in batch:
                    out.append(data[pos:pos + n])
                    pos += n
                batch, size = [], 0
            if span is not None:
                batch.append((int(span[0]), int(span[1])))
                size += span[1]
        return out

    def download_pack(self, pack: str, dest: str | os.PathLike, size: int) -> int:
        """Fetch ``pack`` into ``dest``, continuing a partial file; return bytes fetched."""
        fetched = 0
        for attempt in range(self.retries + 1):
            have = os.path.getsize(dest) if os.path.exists(dest) else 0
            if have >= size:
                break
            try:
                fetched += self._download_from(pack, dest, have, size)
            except httpx.TransportError as e:
                if attempt == self.retries:
                    raise NetworkError(f"download of pack {pack[:12]} failed: {e}",
                                       hint="run the command again: it resumes") from None
                time.sleep(min(0.2 * 2 ** attempt, 5.0))
        return fetched

    def _direct_urls(self, pack: str) -> dict | None:
        """Presigned part URLs when the server's store offers them, else None."""
        if self._direct is False:
            return None
        try:
            doc = self.request("GET", f"/packs/{pack}/urls").json()
        except RemoteError as e:
            if e.code in ("no_direct_urls", "not_found"):
                self._direct = False      # this server streams packs itself
                return None
            raise
        for url in doc["urls"]:
            parts = urlsplit(url)
            if parts.scheme != "https" and not (parts.scheme == "http"
                                                and is_loopback(parts.hostname or "")):
                return None   # never fetch over plain http from a non-loopback host
        return doc

    def _download_direct(self, doc: dict, dest, have: int, size: int) -> int:
        """Fetch [have, size) from the object store by presigned part URLs."""
        psize, got = doc["part_size"], 0
        if self._store is None:
            self._store = httpx.Client(timeout=httpx.Timeout(self._timeout, connect=10.0))
        with open(dest, "ab") as f:
            for i in range(have // psize, len(doc["urls"])):
                skip = max(0, have + got - i * psize)
                headers = {"range": f"bytes={skip}-"} if skip else {}
                with self._store.stream("GET", doc["urls"][i], headers=headers) as resp:
                    if resp.status_code >= 400:
                        raise NetworkError(f"the object store answered {resp.status_code}",
                                           hint="retry; the server will issue fresh URLs")
                    for chunk in resp.iter_raw(1 << 20):
                        f.write(chunk)
                        got += len(chunk)
                        self.progress("download", have + got, size)
        return got

    def _download_from(self, pack: str, dest, have: int, size: int) -> int:
        doc = self._direct_urls(pack)
        if doc is not None:
            return self._download_direct(doc, dest, have, size)
        got = 0
        headers = {"range": f"bytes={have}-"} if have else {}
        with open(dest, "ab") as f, self._http.stream(
                "GET", self._path(f"/packs/{pack}"), headers=headers) as resp:
            if resp.status_code >= 400:
                resp.read()
                raise _error(resp)
            for chunk in resp.iter_bytes(1 << 20):
                f.write(chunk)
                got += len(chunk)
                self.progress("download", have + got, size)
        return got

    def read_objects(self, ids: Sequence[str], lengths: dict[str, int]) -> dict[str, bytes]:
        """Raw stored bytes of many objects, fetched in batches."""
        out: dict[str, bytes] = {}
        ids = list(ids)
        for i in range(0, len(ids), 2000):
            batch = ids[i:i + 2000]
            data = self.request("POST", "/objects/read", json={"ids": batch}).content
            pos = 0
            for oid in batch:
                out[oid] = data[pos:pos + lengths[oid]]
                pos += lengths[oid]
        return out

    # -- graph, negotiation, keyring ----------------------------------------------------

    def add_graph(self, commits: dict[str, list[str]], packs: Sequence[str]) -> None:
        self.request("POST", "/graph", json={"commits": commits, "packs": list(packs)})

    def negotiate(self, wants: Sequence[str], haves: Sequence[str] = (), *,
                  depth: int | None = None, kinds: Sequence[str] | None = None,
                  entries: bool = False, parents: bool = False) -> dict:
        body = {"wants": list(wants), "haves": list(haves), "depth": depth,
                "kinds": list(kinds) if kinds else None, "entries": entries,
                "parents": parents}
        return self.request("POST", "/negotiate", json=body).json()

    def get_keyring(self) -> bytes | None:
        try:
            return self.request("GET", "/keyring").content
        except RemoteError as e:
            if e.code == "no_keyring":
                return None
            raise

    def put_keyring(self, data: bytes) -> None:
        self.request("PUT", "/keyring", content=data)

    def health(self) -> dict:
        return self.request("GET", "/healthz").json()


def _read_span(source, offset: int, length: int) -> bytes:
    if isinstance(source, (bytes, bytearray)):
        return bytes(source[offset:offset + length])
    with open(source, "rb") as f:
        f.seek(offset)
        return f.read(length)
