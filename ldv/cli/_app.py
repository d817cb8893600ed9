"""The context object every command receives: where we run, how loud, the repository.

Commands are ``parse, call, render``: they get an ``App`` through
``@pass_app``, call ``app.repository()`` (the public API, opened lazily so that
commands that need no repository pay nothing), and print.
"""
from __future__ import annotations

import functools
from pathlib import Path

import click


class App:
    def __init__(self, cwd: str, quiet: bool = False):
        self.cwd = Path(cwd)
        self.quiet = quiet
        self._repo = None
        self._progress = None

    def repository(self):
        """Open the repository containing ``cwd`` (NotARepository otherwise)."""
        if self._repo is None:
            from ldv.api import Repository
            self._repo = Repository.open(self.cwd, progress=self.progress())
        return self._repo

    def progress(self):
        """A progress callback drawing on stderr, or None when quiet / not a TTY."""
        if self._progress is None:
            from ldv.progress import make_progress
            self._progress = make_progress(quiet=self.quiet)
        return self._progress

    def close(self) -> None:
        if self._progress is not None:
            self._progress.close()
        if self._repo is not None:
            self._repo.close()
            self._repo = None

    def say(self, text: str) -> None:
        """An informational line on stderr, suppressed by -q (stdout stays data)."""
        if not self.quiet:
            click.echo(text, err=True)


def pass_app(f):
    """Decorator: call ``f(app, ...)`` with the group's App."""
    @click.pass_context
    @functools.wraps(f)
    def wrapper(ctx, *args, **kwargs):
        return f(ctx.find_object(App), *args, **kwargs)
    return wrapper


def quiet_option(f):
    """``-q/--quiet`` on a command, the same as on the group."""
    def set_quiet(ctx, _param, value):
        if value:
            ctx.find_object(App).quiet = True
        return value
    return click.option("-q", "--quiet", is_flag=True, expose_value=False,
                        callback=set_quiet, help="No progress bars, fewer messages.")(f)


def out(text: str = "", nl: bool = True) -> None:
    click.echo(text, nl=nl)


class PathspecCommand(click.Command):
    """A command taking ``[REV...] [-- PATHS...]`` as Git does.

    What follows ``--`` lands in ``ctx.meta["pathspec"]`` (None when there was
    no ``--``), so commands can tell revisions from paths.
    """

    def parse_args(self, ctx, args):
        args = list(args)
        if "--" in args:
            i = args.index("--")
            ctx.meta["pathspec"] = args[i + 1:]
            args = args[:i]
        else:
            ctx.meta["pathspec"] = None
        return super().parse_args(ctx, args)


def pathspec() -> list[str] | None:
    return click.get_current_context().meta.get("pathspec")
