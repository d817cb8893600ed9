"""ldv fsck"""
from __future__ import annotations

import click

from ._app import App, out, pass_app, quiet_option

EXIT_CORRUPT = 4


@click.command("fsck")
@click.option("--rebuild-index", is_flag=True,
              help="First regenerate the pack index from the packs' headers (when "
                   "ldv reports it damaged or missing), then verify.")
@quiet_option
@pass_app
def command(app: App, rebuild_index: bool):
    """Verify the repository: every pack's hash, every object (decrypted and
    checked against its id), every ref and everything reachable from it.

    Prints one line per problem and exits 4 if there is any; 0 when clean.
    The pack index is a cache: --rebuild-index rewrites it from the packs.
    """
    repo = app.repository()
    if rebuild_index:
        n, skipped = repo.rebuild_index()
        for line in skipped:
            out(f"left out of the index: {line}")
        app.say(f"rebuilt the pack index: {n} objects")
    report = repo.fsck()
    for line in report.problems():
        out(line)
    app.say(f"checked {report.packs} packs, {report.objects} objects; "
            f"{report.dangling} dangling; " + ("ok" if report.ok else
                                               f"{len(report.problems())} problem(s)"))
    if not report.ok and report.unindexed and not rebuild_index:
        # The pack index is a cache: objects in packs it does not list read as missing.
        click.echo(f"error: {len(report.unindexed)} pack(s) are not in the pack index "
                   "(hint: run `ldv fsck --rebuild-index` to regenerate it from the packs)",
                   err=True)
        return EXIT_CORRUPT
    if not report.ok and [name for name, _ in report.bad_refs] == ["index"] \
            and len(report.problems()) == 1:
        # Only the work-tree index (a sealed file, not history) is damaged.
        click.echo("error: the index (.ldv/index) is damaged (hint: rebuild it from HEAD "
                   "with `ldv reset`; work-tree files are kept, staged changes are lost)",
                   err=True)
        return EXIT_CORRUPT
    if not report.ok:
        click.echo("error: the repository has integrity problems (hint: restore the damaged "
                   "packs from a remote or backup; committed data elsewhere is intact)", err=True)
        return EXIT_CORRUPT
    return 0
