"""Text renderings shared by commands: commits as ``git log`` shows them, dates, ids."""
from __future__ import annotations

import datetime as dt


def git_date(seconds: int, tz_minutes: int) -> str:
    """``Thu Nov 26 09:15:23 2026 +0100`` in the commit's own time zone."""
    t = dt.datetime.fromtimestamp(seconds, dt.timezone(dt.timedelta(minutes=tz_minutes)))
    sign = "-" if tz_minutes < 0 else "+"
    m = abs(tz_minutes)
    return (f"{t:%a %b} {t.day} {t:%H:%M:%S %Y} {sign}{m // 60:02d}{m % 60:02d}")


def decorations(repo) -> dict[bytes, list[str]]:
    """{commit id: ["HEAD -> main", "tag: v1", "feature"]} for ``log`` lines."""
    from ldv.porcelain.refs_ops import current_branch
    from ldv.porcelain.revparse import peel_to_commit
    out: dict[bytes, list[str]] = {}
    head_branch = current_branch(repo)
    head = repo.refs.read("HEAD")
    if head is not None and head_branch is None:
        out.setdefault(head, []).append("HEAD")
    for name, oid in repo.refs.list("refs/").items():
        if name.startswith("refs/heads/"):
            short = name[len("refs/heads/"):]
            label = f"HEAD -> {short}" if short == head_branch else short
        elif name.startswith("refs/tags/"):
            label = "tag: " + name[len("refs/tags/"):]
            try:
                oid = peel_to_commit(repo, oid)
            except Exception:  # noqa: BLE001 - a tag on a tree is still listed
                pass
        elif name.startswith("refs/remotes/"):
            label = name[len("refs/remotes/"):]
        else:
            continue
        out.setdefault(oid, []).append(label)
    for labels in out.values():
        labels.sort(key=lambda s: (not s.startswith("HEAD"), s.startswith("tag: "), s))
    return out


def commit_header(oid: bytes, c, deco: list[str] | None = None) -> str:
    """The ``git log`` medium format, without the trailing blank line."""
    d = f" ({', '.join(deco)})" if deco else ""
    lines = [f"commit {oid.hex()}{d}"]
    if len(c.parents) > 1:
        lines.append("Merge: " + " ".join(p.hex()[:7] for p in c.parents))
    lines.append(f"Author: {c.author}")
    lines.append(f"Date:   {git_date(c.author_time, c.author_tz)}")
    lines.append("")
    body = c.message.rstrip("\n")
    lines += ["    " + ln if ln else "" for ln in body.split("\n")]
    return "\n".join(lines)


def oneline(oid: bytes, c, deco: list[str] | None = None) -> str:
    d = f" ({', '.join(deco)})" if deco else ""
    return f"{oid.hex()[:7]}{d} {c.message.split(chr(10), 1)[0]}"


def pretty(fmt: str, oid: bytes, c) -> str:
    """Expand Git's ``--format`` placeholders (the common subset) for one commit."""
    import re
    subject, _, body = c.message.partition("\n")
    fields = {
        "H": oid.hex(), "h": oid.hex()[:7], "T": c.tree.hex(), "t": c.tree.hex()[:7],
        "P": " ".join(p.hex() for p in c.parents),
        "p": " ".join(p.hex()[:7] for p in c.parents),
        "an": _name(c.author), "ae": _email(c.author), "at": str(c.author_time),
        "ad": git_date(c.author_time, c.author_tz),
        "cn": _name(c.committer), "ce": _email(c.committer), "ct": str(c.commit_time),
        "cd": git_date(c.commit_time, c.commit_tz),
        "s": subject, "b": body.strip("\n") + ("\n" if body.strip("\n") else ""),
        "n": "\n", "%": "%"}

    def sub(m):
        return fields.get(m.group(1), m.group(0))
    return re.sub(r"%(an|ae|at|ad|cn|ce|ct|cd|[HhTtPpsbn%])", sub, fmt)


def _name(who: str) -> str:
    return who.split(" <", 1)[0]


def _email(who: str) -> str:
    return who.partition("<")[2].rstrip(">")
