"""ldv commit"""
from __future__ import annotations

import click

from ._app import App, out, pass_app, quiet_option


@click.command("commit")
@click.option("-m", "--message", "messages", multiple=True,
              help="The commit message (several -m become paragraphs).")
@click.option("-F", "--file", "message_file", type=click.File("r", encoding="utf-8"),
              help="Read the message from a file ('-' for stdin).")
@click.option("-a", "--all", "all_", is_flag=True,
              help="Stage modified and deleted tracked files first (not new ones).")
@click.option("--allow-empty", is_flag=True, help="Commit even when nothing changed.")
@click.option("--author", metavar="'NAME <EMAIL>'", help="Override the author.")
@click.option("--input", "lineage_in", multiple=True, metavar="PATH",
              help="Lineage: a committed file the --output files were made from.")
@click.option("--output", "lineage_out", multiple=True, metavar="PATH",
              help="Lineage: a staged file made from the --input files (docs/LINEAGE.md).")
@quiet_option
@pass_app
def command(app: App, messages, message_file, all_, allow_empty, author, lineage_in,
            lineage_out):
    """Record the staged changes (the index) as a new commit on the current branch.

    The author is `ldv config user.name/user.email`, else LDV_AUTHOR_NAME /
    LDV_AUTHOR_EMAIL, else Git's global identity.  Exits 1 when there is
    nothing to commit, as Git does.

    With `ldv config set pii.on_commit warn|block` the files the commit adds or
    changes are scanned for personal data first: warn prints each finding,
    block refuses the commit (exit 1).  To commit anyway, list the values in
    `.ldvpii` or switch to warn (docs/PII.md).
    """
    message = _message(messages, message_file)
    repo = app.repository()
    ident = _parse_author(author) if author else None
    lineage = None
    if lineage_in or lineage_out:
        if all_:
            raise click.UsageError("--output records staged files; use ldv add, not -a")
        from ldv.porcelain.run import commit_record
        lineage = [commit_record(repo.workspace, list(lineage_in), list(lineage_out))]
    oid = repo.commit(message, all=all_, allow_empty=allow_empty, author=ident,
                      lineage=lineage)
    for line in getattr(repo.workspace, "pii_warnings", None) or ():
        click.echo(f"warning: {line}", err=True)        # pii.on_commit = warn
    if not app.quiet:
        _report(repo, oid)


def _message(messages, message_file) -> str:
    if message_file is not None:
        text = message_file.read()
    else:
        text = "\n\n".join(m.strip("\n") for m in messages)
    if not text.strip():
        raise click.UsageError("aborting commit due to empty commit message (use -m MSG)")
    return text.rstrip("\n") + "\n"


def _parse_author(text: str):
    from ldv.plumbing.errors import BadInput
    from ldv.porcelain.worktree import Identity
    name, lt, rest = text.partition("<")
    if not lt or not rest.endswith(">") or not name.strip():
        raise BadInput(f"--author {text!r} is not 'Name <email>'",
                       hint="for example --author 'Ada Lovelace <ada@example.org>'")
    return Identity(name.strip(), rest[:-1].strip())


def _report(repo, oid: bytes) -> None:
    from ldv.plumbing.objects import read_commit
    from ldv.porcelain.refs_ops import current_branch
    c = read_commit(repo.plumbing.odb, oid)
    where = current_branch(repo.plumbing) or "detached HEAD"
    root = " (root-commit)" if not c.parents else ""
    out(f"[{where}{root} {oid.hex()[:7]}] {c.message.splitlines()[0] if c.message else ''}")
