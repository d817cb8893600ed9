"""ldv sql"""
from __future__ import annotations

import sys

import click

from ._app import App, pass_app


@click.command("sql")
@click.argument("query")
@click.option("--format", "fmt", type=click.Choice(["text", "csv", "json", "parquet"]),
              default="text", show_default=True,
              help="An aligned table, CSV, JSON Lines or Parquet.")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Write the result to this file instead of stdout.")
@pass_app
def command(app: App, query, fmt, output):
    """Run DuckDB SQL over any committed version, without a checkout.

    Name files as 'ldv://REV/PATH' (REV: a branch, tag, id, HEAD~2, ...):

    \b
      ldv sql "SELECT count(*) FROM 'ldv://main/data/train.parquet'"
      ldv sql --format csv "SELECT lang, count(*) FROM 'ldv://v1/chat.jsonl' GROUP BY ALL"

    Only the chunks the query reads are decrypted; nothing decrypted is written
    to disk except the result you ask for.
    """
    from ldv.porcelain.sql import run_sql
    repo = app.repository()
    if output:
        with open(app.cwd / output, "wb") as f:  # relative to -C, as Git does
            run_sql(repo.plumbing, query, f, fmt)
        return
    run_sql(repo.plumbing, query, sys.stdout.buffer, fmt)
    sys.stdout.buffer.flush()
