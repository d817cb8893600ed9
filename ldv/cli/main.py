"""The ``ldv`` command: a click group that imports each command only when it runs.

Start-up cost matters (``ldv status`` must answer in well under 200 ms), so the
group knows its commands by name and one-line help only; the module behind a
command is imported when that command is invoked.  Every error ldv raises on
purpose is turned into one line on stderr and its exit code here, in one place.
"""
from __future__ import annotations

import importlib
import os
import sys

import click

# name -> (module under ldv.cli, one-line help shown by `ldv --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("init", "Create a repository in a folder and write its master key."),
    "add": ("add", "Stage file contents (and deletions) in the index."),
    "rm": ("rm", "Remove files from the index and the working tree."),
    "mv": ("mv", "Move or rename a tracked file."),
    "commit": ("commit", "Record the staged changes as a new commit."),
    "status": ("status", "Show staged, unstaged and untracked changes."),
    "log": ("log", "Show the commit history."),
    "show": ("show", "Show a commit, or a file at a revision (REV:PATH)."),
    "diff": ("diff", "Show changes between commits, the index and the working tree."),
    "sql": ("sql", "Run DuckDB SQL over any version's files (ldv://REV/PATH)."),
    "branch": ("branch", "List, create, rename or delete branches."),
    "switch": ("switch", "Switch to a branch (-c creates it)."),
    "checkout": ("checkout", "Switch branches or restore files from the index or a revision."),
    "restore": ("restore", "Restore working-tree files (or the index with --staged)."),
    "tag": ("tag", "List, create or delete tags."),
    "reset": ("reset", "Move the current branch to a revision (--soft/--mixed/--hard)."),
    "rev-parse": ("rev_parse", "Resolve revisions to object ids."),
    "cat-file": ("cat_file", "Show an object's type, size or content."),
    "ls-tree": ("ls_tree", "List the entries of a tree at a revision."),
    "ls-files": ("ls_files", "List the files in the index."),
    "reflog": ("reflog", "Show where a ref (HEAD) pointed before."),
    "gc": ("gc", "Drop unreachable objects and repack."),
    "fsck": ("fsck", "Decrypt and verify every object and every ref."),
    "key": ("key", "Manage the repository's keys (rotate)."),
    "config": ("config", "Get, set and list repository configuration."),
    "remote": ("remote", "List, add and remove remotes (ldv-server URLs)."),
    "push": ("push", "Send commits to a remote and move its branch."),
    "fetch": ("fetch", "Download a remote's branches into refs/remotes/."),
    "pull": ("pull", "Fetch and fast-forward the current branch."),
    "clone": ("clone", "Copy a remote repository into a new folder."),
    "ls-remote": ("ls_remote", "List a remote's refs."),
    "login": ("login", "Store a token for an ldv-server."),
    "merge": ("merge", "Join another branch's history into the current branch."),
    "cherry-pick": ("cherry_pick", "Apply the change a commit made, as a new commit."),
    "revert": ("revert", "Make a new commit that undoes a commit's change."),
    "run": ("run", "Run a command on committed inputs; commit its outputs with lineage."),
    "lineage": ("lineage", "Show what a file was made from (runs, inputs, code revision)."),
    "scan": ("scan", "Find personal data (PII) in a revision or the working tree."),
    "export": ("export", "Write a copy of a revision, PII anonymized."),
}

from .failure import error, mapped


class LazyGroup(click.Group):
    """A group whose subcommands live in ldv.cli.<module> and load on demand."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        spec = COMMANDS.get(name)
        if spec is None:
            return None
        module = importlib.import_module(f"ldv.cli.{spec[0]}")
        return module.command

    def format_commands(self, ctx, formatter):
        # Listing uses the registry's help so `ldv --help` imports nothing.
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def main(self, args=None, prog_name=None, complete_var=None,
             standalone_mode=True, **extra):
        """Run the command; map every error to one stderr line and an exit code."""
        code = run_mapped(lambda: super(LazyGroup, self).main(
            args, prog_name, complete_var, standalone_mode=False, **extra))
        if standalone_mode:
            sys.exit(code)
        return code


def run_mapped(call) -> int:
    """Call ``call`` and translate its outcome into an exit code: click's own
    exceptions here, everything else as failure.mapped does (the fast path too)."""
    def clicked():
        try:
            return call()
        except click.exceptions.Exit as e:
            return e.exit_code
        except click.UsageError as e:
            where = e.ctx.command_path if e.ctx is not None else "ldv"
            error(e.format_message(), f"see `{where} --help`")
            return 2
        except click.ClickException as e:
            error(e.format_message(), None)
            return 2 if e.exit_code == 1 else e.exit_code
        except click.Abort:
            raise KeyboardInterrupt from None
    return mapped(clicked)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-C", "directory", metavar="PATH", default=None,
              help="Run as if ldv was started in PATH.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars, fewer messages.")
@click.version_option(package_name="ldv", prog_name="ldv", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx, directory, quiet):
    """ldv: version LLM and ML datasets the way Git versions code.

    Same verbs as Git (init, add, commit, status, log, diff, branch, switch,
    checkout, reset, tag ...), with every object encrypted and deduplicated below
    the file level.  The master key comes from LDV_MASTER_KEY (64 hex characters)
    or from the key file `ldv init` writes under $XDG_CONFIG_HOME/ldv/keys/.

    Exit codes: 0 ok, 1 differences/conflicts, 2 usage or bad input,
    3 repository, 4 integrity, 5 key/auth, 6 network (docs/EXIT_CODES.md).
    """
    from ._app import App
    ctx.obj = App(cwd=directory or os.getcwd(), quiet=quiet)
    ctx.call_on_close(ctx.obj.close)


def main(argv=None) -> None:
    """Console entry point."""
    cli.main(args=argv, prog_name="ldv")


if __name__ == "__main__":
    main()
