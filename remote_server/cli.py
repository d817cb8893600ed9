"""`ldv-server`: serve, init-tls, repo, token, protect, migrate, audit.

Every command takes the same backend options as ``serve`` (also read from
LDV_SERVER_<OPTION> variables), so admin commands act on the very stores the
server uses.  Errors print one line and exit with ldv's exit codes.
"""
from __future__ import annotations

import functools
import os
import sys

import click

from ldv.plumbing.errors import LdvError

from .config import ENV_PREFIX, ServerConfig

_BACKEND_OPTIONS = [
    click.option("--data-dir", envvar=ENV_PREFIX + "DATA_DIR", default="./ldv-server-data",
                 show_default=True, help="Objects, SQLite and TLS files (embedded mode)."),
    click.option("--s3-endpoint", envvar=ENV_PREFIX + "S3_ENDPOINT",
                 help="S3-compatible endpoint URL (credentials: AWS_* variables)."),
    click.option("--s3-bucket", envvar=ENV_PREFIX + "S3_BUCKET",
                 help="Store objects in this S3 bucket instead of --data-dir."),
    click.option("--s3-prefix", envvar=ENV_PREFIX + "S3_PREFIX", default="",
                 help="Key prefix inside the bucket."),
    click.option("--database-url", envvar=ENV_PREFIX + "DATABASE_URL",
                 help="postgresql://... for metadata instead of SQLite."),
    click.option("--database-schema", envvar=ENV_PREFIX + "DATABASE_SCHEMA",
                 help="PostgreSQL schema to keep the tables in."),
]


def backend_options(fn):
    for opt in reversed(_BACKEND_OPTIONS):
        fn = opt(fn)

    @functools.wraps(fn)
    def wrapper(**kw):
        cfg = ServerConfig.from_env({}, **{k: kw.pop(k) for k in list(kw)
                                          if k in ServerConfig.__dataclass_fields__})
        return fn(cfg, **kw)
    return wrapper


def _services(cfg: ServerConfig, migrate: bool = True):
    from .services import open_services
    return open_services(cfg, migrate=migrate)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})   # as `ldv`
def cli():
    """ldv-server: the encrypted remote for ldv.  It stores opaque packs, never keys."""


@cli.command()
@backend_options
@click.option("--host", envvar=ENV_PREFIX + "HOST", default="127.0.0.1", show_default=True)
@click.option("--port", envvar=ENV_PREFIX + "PORT", default=8443, type=int, show_default=True)
@click.option("--tls-cert", envvar=ENV_PREFIX + "TLS_CERT", help="PEM certificate.")
@click.option("--tls-key", envvar=ENV_PREFIX + "TLS_KEY", help="PEM private key.")
@click.option("--workers", envvar=ENV_PREFIX + "WORKERS", default=1, type=int,
              help="Worker processes (they share nothing but the backends).")
def serve(cfg):
    """Serve the HTTP API (HTTPS with --tls-* or the data dir's init-tls files)."""
    import uvicorn
    cert = cfg.tls_cert or _default_tls(cfg.data_dir, "cert.pem")
    key = cfg.tls_key or _default_tls(cfg.data_dir, "key.pem")
    if not cert:
        click.echo("warning: serving plain HTTP; clients accept it only on loopback "
                   "(run `ldv-server init-tls` or put a TLS proxy in front)", err=True)
    _refuse_a_taken_port(cfg.host, cfg.port)
    _services(cfg).store.close()           # migrate once, before workers start
    for k, v in vars(cfg).items():         # the workers' app factory reads these
        if v is not None and k != "limits":
            os.environ[ENV_PREFIX + k.upper()] = str(v)
    uvicorn.run("ldv.remote_server.cli:app_factory", factory=True, host=cfg.host,
                port=cfg.port, workers=cfg.workers, ssl_certfile=cert, ssl_keyfile=key,
                log_level="info",
                timeout_keep_alive=30, timeout_graceful_shutdown=10, access_log=False)


def _refuse_a_taken_port(host: str, port: int) -> None:
    """One line and exit 3 when the address is taken, before uvicorn starts (it
    printed its start-up lines, then its own error).  A port freed in between is
    still caught by uvicorn."""
    import socket
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as e:
            raise LdvError(f"cannot listen on {host}:{port}: {e.strerror}",
                           hint="another process holds it (a running ldv-server?): "
                                "stop it or pass --port") from None


def app_factory():
    """The ASGI app of one worker, configured from LDV_SERVER_* variables."""
    from .app import create_app
    # The event loop shares the GIL with the store's threads; a shorter switch
    # interval keeps one slow query from holding up every other request.
    sys.setswitchinterval(0.001)
    import gc
    app = create_app(_services(ServerConfig.from_env(), migrate=False))
    gc.freeze()     # start-up objects live for good: keep them out of every GC pass
    return app


def _default_tls(data_dir: str, name: str) -> str | None:
    path = os.path.join(data_dir, "tls", name)
    return path if os.path.exists(path) else None


@cli.command("init-tls")
@click.option("--data-dir", envvar=ENV_PREFIX + "DATA_DIR", default="./ldv-server-data",
              show_default=True)
@click.option("--host", "hosts", multiple=True, help="Names and IPs for the certificate.")
def init_tls_cmd(data_dir, hosts):
    """Write a self-signed certificate (keeping an existing key) and print its
    public key's SHA-256 fingerprint for clients to pin."""
    from .tls import init_tls
    cert, _key, fp = init_tls(data_dir, list(hosts) or None)
    click.echo(f"certificate: {cert}")
    click.echo(f"fingerprint: SHA256:{fp}")


@cli.command()
@backend_options
def migrate(cfg):
    """Apply pending schema migrations."""
    svc = _services(cfg, migrate=False)
    applied = svc.store.migrate()
    click.echo(f"schema at version {svc.store.schema_version()}"
               + (f" (applied {', '.join(map(str, applied))})" if applied else ""))


@cli.command()
@backend_options
@click.option("--max-age", "max_age", default="24h", show_default=True,
              help="Remove unfinished uploads idle this long (e.g. 90m, 24h, 7d).")
def gc(cfg, max_age):
    """Remove the parts of abandoned (never finished) pack uploads."""
    from .packs import collect_abandoned
    seconds = _duration(max_age)
    done = collect_abandoned(_services(cfg), seconds)
    click.echo(f"removed {done['uploads_removed']} abandoned uploads "
               f"({done['parts_removed']} parts); {done['untracked_found']} untracked "
               f"uploads now have a clock")


def _duration(text: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    t = text.strip().lower()
    try:
        return int(float(t[:-1]) * units[t[-1]]) if t and t[-1] in units else int(t)
    except ValueError:
        raise click.BadParameter(f"not a duration: {text!r} (use e.g. 90m, 24h, 7d)") from None


@cli.group()
def repo():
    """Create, list and delete repositories."""


@repo.command("create")
@backend_options
@click.argument("name")
def repo_create(cfg, name):
    _services(cfg).store.create_repo(name)
    click.echo(f"created repository {name}")


@repo.command("list")
@backend_options
def repo_list(cfg):
    for name in _services(cfg).store.list_repos():
        click.echo(name)


@repo.command("delete")
@backend_options
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask.")
def repo_delete(cfg, name, yes):
    """Delete a repository's refs, index and packs (its audit trail stays)."""
    if not yes:
        click.confirm(f"delete repository {name} and all its packs?", abort=True)
    svc = _services(cfg)
    rid = svc.store.delete_repo(name)
    for obj in list(svc.backend.list(f"r/{rid}/")):
        svc.backend.delete(obj)
    svc.store.audit(name, "admin-cli", "repo.delete", name, allowed=True)
    click.echo(f"deleted repository {name}")


@cli.group()
def token():
    """Create, list and revoke access tokens."""


@token.command("create")
@backend_options
@click.option("--repo", "repo_name", required=True)
@click.option("--role", type=click.Choice(["read", "write", "admin"]), required=True)
@click.option("--user", default="", help="Who the token is for (shown in the audit log).")
def token_create(cfg, repo_name, role, user):
    """Create a token; it is printed once, as the last word of the last line."""
    svc = _services(cfg)
    tid, secret = svc.store.create_token(repo_name, role, user)
    svc.store.audit(repo_name, "admin-cli", "token.create", f"#{tid}", allowed=True,
                    detail=f"{role} {user}")
    click.echo(f"token #{tid} ({role} on {repo_name}); it is shown only now:")
    click.echo(secret)


@token.command("list")
@backend_options
@click.option("--repo", "repo_name")
def token_list(cfg, repo_name):
    for t in _services(cfg).store.list_tokens(repo_name):
        state = "revoked" if t.revoked_at else "active"
        click.echo(f"#{t.id}\t{t.repo}\t{t.role}\t{t.user or '-'}\t{state}")


@token.command("revoke")
@backend_options
@click.argument("token_id", type=int)
def token_revoke(cfg, token_id):
    svc = _services(cfg)
    t = next((t for t in svc.store.list_tokens() if t.id == token_id), None)
    svc.store.revoke_token(token_id)
    # Under the token's repository, so `audit --repo R` shows it next to its creation.
    svc.store.audit(t.repo if t else "-", "admin-cli", "token.revoke", f"#{token_id}",
                    allowed=True, detail=f"{t.role} {t.user}" if t else "")
    click.echo(f"revoked token #{token_id}")


@cli.command()
@backend_options
@click.argument("branch")
@click.option("--repo", "repo_name", required=True)
def protect(cfg, branch, repo_name):
    """Protect BRANCH: no force-push, no delete."""
    svc = _services(cfg)
    svc.store.protect(repo_name, branch)
    svc.store.audit(repo_name, "admin-cli", "protect", branch, allowed=True)
    click.echo(f"protected {branch} in {repo_name}")


@cli.command()
@backend_options
@click.option("--repo", "repo_name")
@click.option("--limit", default=50, show_default=True)
def audit(cfg, repo_name, limit):
    """Show the newest audit records."""
    import datetime as dt
    for r in _services(cfg).store.audit_log(repo_name, limit):
        when = dt.datetime.fromtimestamp(r.at / 1e6, dt.timezone.utc).isoformat(timespec="seconds")
        click.echo(f"{when}\t{r.repo}\t{r.actor}\t{r.action}\t{r.target}\t"
                   f"{'allowed' if r.allowed else 'DENIED'}\t{r.detail}\t{r.remote}")


def main(argv=None) -> None:
    """Entry point: run a command, turning ldv errors into one line and an exit code."""
    try:
        cli.main(args=argv, prog_name="ldv-server", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as e:
        e.show()
        sys.exit(2)
    except LdvError as e:
        hint = f" (hint: {e.hint})" if e.hint else ""
        click.echo(f"ldv-server: error: {e.message}{hint}", err=True)
        sys.exit(e.exit_code)
