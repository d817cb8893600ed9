"""How `ldv status` prints a Status (no click here: the fast path uses it too)."""
from __future__ import annotations

_WORDS = {"A": "new file", "M": "modified", "D": "deleted", "T": "typechange",
          "UU": "both modified", "AA": "both added", "DU": "deleted by us",
          "UD": "deleted by them"}


def render(st, out, *, short: bool = False, porcelain: bool = False,
           show_branch: bool = False) -> None:
    """Print ``st`` line by line through ``out(text)``, as `git status` does."""
    if short or porcelain:
        if show_branch:
            out(f"## {st.branch or 'HEAD (no branch)'}{_short_tracking(st.upstream)}")
        for line in st.porcelain_lines():
            out(line)
        return
    _long(st, out)


def _long(st, out) -> None:
    from ldv.porcelain.status import quote_path
    if st.branch:
        out(f"On branch {st.branch}")
    else:
        out(f"HEAD detached at {st.head.hex()[:7]}" if st.head else "HEAD detached")
    if st.head is None:
        out("\nNo commits yet")
    _tracking(st.upstream, out)
    _in_progress(st, out)
    def section(title: str, hints: list[str], paths: list[str]) -> None:
        out(f"\n{title}:")
        for hint in hints:
            out(f"  ({hint})")
        for path in paths:
            out(f"\t{path}")

    def coded(changes, width: int) -> list[str]:
        return [f"{_WORDS.get(c.code, c.code) + ':':<{width}}"
                f"{quote_path(c.path, quote_space=False)}" for c in changes]

    if st.staged:
        section("Changes to be committed",
                ['use "ldv restore --staged <file>..." to unstage'], coded(st.staged, 12))
    if st.unmerged:     # after the staged changes, as git lists them
        section("Unmerged paths", ['use "ldv add <file>..." to mark resolution'],
                coded(st.unmerged, 17))
    if st.unstaged:
        section("Changes not staged for commit",
                ['use "ldv add <file>..." to update what will be committed',
                 'use "ldv restore <file>..." to discard changes in working directory'],
                coded(st.unstaged, 12))
    if st.untracked:
        section("Untracked files",
                ['use "ldv add <file>..." to include in what will be committed'],
                [quote_path(p, quote_space=False) for p in st.untracked])
    if st.clean:
        if st.upstream:     # git: a blank line after the tracking lines
            out("")
        out("nothing to commit, working tree clean" if st.head else
            '\nnothing to commit (create/copy files and use "ldv add" to track)')
    elif not st.staged and (st.unstaged or st.unmerged):
        out('\nno changes added to commit (use "ldv add" and/or "ldv commit -a")')
    elif not st.staged:
        out('\nnothing added to commit but untracked files present (use "ldv add" to track)')


def _in_progress(st, out) -> None:
    """Git's lines for a stopped merge, cherry-pick or revert, and how to go on."""
    kind, label = st.in_progress or ("merge", "")
    if kind == "merge" and st.unmerged:
        out("You have unmerged paths.")
        out('  (fix conflicts and run "ldv commit")')
        out('  (use "ldv merge --abort" to abort the merge)')
    elif kind == "merge" and st.in_progress:
        out("All conflicts fixed but you are still merging.")
        out('  (use "ldv commit" to conclude merge)')
    elif st.in_progress:
        verb = "cherry-picking" if kind == "cherry-pick" else "reverting"
        out(f"You are currently {verb} commit {label}.")
        out(f'  (fix conflicts and run "ldv {kind} --continue")' if st.unmerged else
            f'  (all conflicts fixed: run "ldv {kind} --continue")')
        out(f'  (use "ldv {kind} --abort" to cancel the {kind} operation)')


def _plural(n: int) -> str:
    return f"{n} commit{'s' if n != 1 else ''}"


def _tracking(upstream, out) -> None:
    """Git's lines on where the branch stands against origin/BRANCH."""
    if upstream is None:
        return
    name, ahead, behind = upstream
    if ahead and behind:
        out(f"Your branch and '{name}' have diverged,")
        out(f"and have {ahead} and {behind} different commits each, respectively.")
        out('  (use "ldv pull" to merge the remote branch into yours)')
    elif ahead:
        out(f"Your branch is ahead of '{name}' by {_plural(ahead)}.")
        out('  (use "ldv push" to publish your local commits)')
    elif behind:
        out(f"Your branch is behind '{name}' by {_plural(behind)}, "
            "and can be fast-forwarded.")
        out('  (use "ldv pull" to update your local branch)')
    else:
        out(f"Your branch is up to date with '{name}'.")


def _short_tracking(upstream) -> str:
    """`...origin/main [ahead 1, behind 2]` after the branch in `status -sb`."""
    if upstream is None:
        return ""
    name, ahead, behind = upstream
    counts = ", ".join(f"{word} {n}" for word, n in (("ahead", ahead), ("behind", behind)) if n)
    return f"...{name}" + (f" [{counts}]" if counts else "")
