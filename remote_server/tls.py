"""Self-signed TLS for a server without a CA: `ldv-server init-tls`.

Writes ``tls/key.pem`` (0600, kept if present) and a fresh ``tls/cert.pem``, and
returns the SHA-256 fingerprint of the public key.  Clients pin that fingerprint
(`--fingerprint`); because it names the key, not the certificate, renewing the
certificate (running init-tls again) keeps every client working.
"""
from __future__ import annotations

import datetime as dt
import ipaddress
import os
import socket
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ldv.plumbing.wire import spki_fingerprint


def _load_or_make_key(path: Path):
    if path.exists():
        return serialization.load_pem_private_key(path.read_bytes(), password=None)
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return key


def init_tls(data_dir: str | os.PathLike, hosts: list[str] | None = None,
             days: int = 825) -> tuple[Path, Path, str]:
    """Write a self-signed certificate; return (cert path, key path, fingerprint)."""
    tls = Path(data_dir) / "tls"
    tls.mkdir(parents=True, exist_ok=True)
    key = _load_or_make_key(tls / "key.pem")
    names = hosts or ["localhost", socket.gethostname(), "127.0.0.1", "::1"]
    alt = []
    for h in names:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(h)))
        except ValueError:
            alt.append(x509.DNSName(h))
    now = dt.datetime.now(dt.timezone.utc)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    der = cert.public_bytes(serialization.Encoding.DER)
    (tls / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return tls / "cert.pem", tls / "key.pem", spki_fingerprint(der)
