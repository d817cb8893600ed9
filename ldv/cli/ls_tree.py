"""ldv ls-tree"""
from __future__ import annotations

import click

from ._app import App, out, pass_app


@click.command("ls-tree")
@click.argument("rev")
@click.argument("paths", nargs=-1)
@click.option("-r", "recursive", is_flag=True, help="Recurse into folders (list files only).")
@click.option("-l", "--long", "long_", is_flag=True, help="Show each file's size.")
@click.option("--name-only", is_flag=True, help="Show paths only.")
@pass_app
def command(app: App, rev, paths, recursive, long_, name_only):
    """List the entries of the tree at REV (a commit, or REV:FOLDER).

    Lines read `MODE TYPE ID<TAB>PATH`, as in Git.
    """
    from ldv.porcelain import inspect
    repo = app.repository().plumbing
    for line in inspect.ls_tree(repo, rev, recursive=recursive, paths=list(paths)):
        out(line.path if name_only else line.text(long=long_))
