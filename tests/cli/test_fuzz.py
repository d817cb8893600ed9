"""Random arguments to the read-only commands: every outcome is an exit code of
docs/EXIT_CODES.md with a one-line error, never a traceback or an internal error."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings, strategies as st

COMMANDS = ["status", "log", "show", "diff", "rev-parse", "cat-file", "ls-tree", "ls-files",
            "branch", "tag", "config"]
WORDS = ["HEAD", "HEAD~1", "HEAD^2", "main", "a.txt", "HEAD:a.txt", "HEAD:data", "data",
         "--", "-n", "1", "--oneline", "--graph", "--stat", "--cached", "--name-status",
         "--format", "json", "-p", "-t", "-s", "-r", "-v", "-d", "get", "list", "user.name",
         "..", "HEAD..main", "@", "^{tree}", "0000", "ffff", "~", ":", "", "-", "-x", "é"]
ARG = st.one_of(st.sampled_from(WORDS), st.text(min_size=0, max_size=8))


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cmd=st.sampled_from(COMMANDS), args=st.lists(ARG, max_size=4))
def test_read_only_commands_never_crash(repo, cmd, args):
    if "\x00" in "".join(args):
        args = [a.replace("\x00", "") for a in args]
    r = repo(cmd, *args, code=None)
    assert r.exit_code in (0, 1, 2, 3, 4, 5), (cmd, args, r.exit_code, r.stderr)
    assert "Traceback" not in r.output + r.stderr
    if r.exit_code >= 2:
        assert r.stderr.startswith("error: ") and r.stderr.count("\n") == 1, r.stderr
