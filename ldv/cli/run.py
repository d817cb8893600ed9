"""ldv run"""
from __future__ import annotations

import click

from ._app import App, pass_app, quiet_option


@click.command("run", context_settings={"allow_interspersed_args": False})
@click.option("-i", "--input", "inputs", multiple=True, metavar="PATH",
              help="A committed file or folder the command reads (repeatable).")
@click.option("-o", "--output", "outputs", multiple=True, required=True, metavar="PATH",
              help="A file or folder the command writes; committed (repeatable).")
@click.option("-m", "--message", help="Commit message (default: 'run: COMMAND').")
@click.option("--shell", is_flag=True, help="Run COMMAND as one line of /bin/sh.")
@click.option("--code", "code_dir", metavar="DIR",
              help="Record the Git revision of DIR's repository (default: the one "
              "around the current folder).")
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
@quiet_option
@pass_app
def command(app: App, inputs, outputs, message, shell, code_dir, command):
    """Run COMMAND on committed inputs, then commit its outputs with lineage.

    \b
      ldv run -i raw.csv -o clean.csv -- python clean.py raw.csv clean.csv

    Each input is recorded as REV:PATH with its blob id; inputs must equal HEAD
    (commit them first).  The record also holds the command, and the commit and
    dirty flag of the Git repository around the current folder.  A command that
    exits non-zero commits nothing, and ldv exits with its code.
    See `ldv lineage` and docs/LINEAGE.md.
    """
    from ldv.identity import resolve_identity
    from ldv.porcelain.run import RunOptions, run
    repo = app.repository()
    opts = RunOptions(command=list(command), inputs=list(inputs), outputs=list(outputs),
                      shell=shell, message=message, code_dir=code_dir,
                      author=resolve_identity(repo.plumbing.config))
    result = run(repo.workspace, opts)
    if result.exit_code != 0:
        app.say(f"ldv run: the command exited with {result.exit_code}; nothing committed")
        return result.exit_code
    if not app.quiet:
        from .commit import _report
        _report(repo, result.commit)
        n_in, n_out = len(result.record.inputs), len(result.record.outputs)
        app.say(f"recorded lineage: {n_in} input file(s) -> {n_out} output file(s)")
    return 0
