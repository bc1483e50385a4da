#!/usr/bin/env python3
"""Drives an interactive shell on a pseudo-terminal to test zcp's completions.

usage: shellpty.py SHELL COMPLETION_DIR WORKDIR < cases

SHELL is bash, zsh or fish; COMPLETION_DIR holds the installed completions in each shell's
layout (share/bash-completion/completions/zcp, share/zsh/site-functions/_zcp,
share/fish/vendor_completions.d/zcp.fish). Each line of standard input is a command line
typed at the prompt, followed by Tab; a key bound in the shell then writes the line buffer
(a case holding Tabs of its own is typed as it is)
to a file. Prints one line per case: the buffer as it stood after the Tab.

Every wait is for a condition (a file the shell writes), bounded by a deadline that only a
broken shell reaches.
"""
import os
import pty
import select
import sys
import time

DEADLINE = 60.0


def main():
    shell, comp, work = sys.argv[1], os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
    out = os.path.join(work, "buffer.out")
    ready = os.path.join(work, "ready")
    share = os.path.join(comp, "share")
    if shell == "bash":
        argv = ["bash", "--norc", "--noprofile", "-i"]
        setup = [
            "bind 'set bell-style none'",
            "source /usr/share/bash-completion/bash_completion",
            f"source {share}/bash-completion/completions/zcp",
            f"bind -x '\"\\C-x\\C-p\": printf \"%s\\n\" \"$READLINE_LINE\" > {out}.tmp; mv {out}.tmp {out}'",
        ]
    elif shell == "zsh":
        argv = ["zsh", "-f", "-i"]
        setup = [
            "setopt nobeep",
            f"fpath=({share}/zsh/site-functions $fpath)",
            "autoload -Uz compinit && compinit -u -D",
            f"zcpdump() {{ print -r -- \"$BUFFER\" > {out}.tmp; mv {out}.tmp {out} }}",
            "zle -N zcpdump",
            "bindkey '^X^P' zcpdump",
        ]
    elif shell == "fish":
        argv = ["fish", "--no-config", "-i"]
        setup = [
            f"source {share}/fish/vendor_completions.d/zcp.fish",
            f"bind \\cx\\cp 'commandline > {out}.tmp; mv {out}.tmp {out}'",
        ]
    else:
        sys.exit(f"unknown shell {shell}")

    env = dict(os.environ, TERM="xterm", HOME=work, INPUTRC="/dev/null", PS1="$ ", fish_greeting="")
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(work)
        os.execvpe(argv[0], argv, env)

    def drain(timeout):
        """Reads what the shell printed; False once it has closed the terminal."""
        r, _, _ = select.select([fd], [], [], timeout)
        if r:
            try:
                return len(os.read(fd, 65536)) > 0
            except OSError:
                return False
        return True

    def wait_for(path):
        end = time.monotonic() + DEADLINE
        while not os.path.exists(path):
            if time.monotonic() > end:
                sys.exit(f"{shell}: no {os.path.basename(path)} within {DEADLINE} s")
            if not drain(0.05):
                sys.exit(f"{shell} ended before writing {os.path.basename(path)}")

    for line in setup:
        os.write(fd, line.encode() + b"\r")
    os.write(fd, f"touch {ready}\r".encode())
    wait_for(ready)

    for case in sys.stdin.read().splitlines():
        if os.path.exists(out):
            os.unlink(out)
        # The text and Tab (unless the case has its own Tabs), then Ctrl-X Ctrl-P (the buffer
        # is written), then the line is cleared.
        keys = case.encode()
        if b"\t" not in keys:
            keys += b"\t"
        os.write(fd, keys + b"\x18\x10")
        wait_for(out)
        with open(out) as f:
            print(f.read().rstrip("\n"), flush=True)
        os.write(fd, b"\x01\x0b")  # Ctrl-A Ctrl-K: an empty line for the next case

    os.write(fd, b"exit\r")
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if not drain(0.05):
            os.waitpid(pid, 0)
            break
    else:
        os.kill(pid, 9)


if __name__ == "__main__":
    main()
