"""One set of command-line conventions for every command (samtools/bcftools/DeepVariant habits), applied to the
arguments before they reach the command:

* ``-h`` and ``--help`` print the help; ``-o/--output`` names the output (a file or a folder), ``--regions`` the
  regions, ``-j/--workers`` the processes.
* Old spellings keep working for a release, with a one-line deprecation note: ``--out-dir`` (simulate-training-data,
  evaluate-sequences, render), ``--threads``/``-t`` (simulate-training-data), ``--region`` (render).
* A boolean flag also takes a value, as its help shows: ``--rc-average true`` is ``--rc-average``, ``--realign no``
  is ``--no-realign`` (true/false, yes/no, on/off, 1/0).
"""

from __future__ import annotations

from typing import Sequence

DEPRECATED: dict[str, dict[str, str]] = {
    "simulate-training-data": {"--out-dir": "--output", "--threads": "--workers", "-t": "-j"},
    "evaluate-sequences": {"--out-dir": "--output"},
    "render": {"--out-dir": "--output", "--region": "--regions"},
}
TRUE, FALSE = {"true", "yes", "on", "1"}, {"false", "no", "off", "0"}
REMOVED_IN = "0.3"


def _flags(command) -> dict[str, tuple[str, str | None]]:
    """Boolean flag spelling -> (its on spelling, its off spelling or None)."""
    out = {}
    for p in command.params:
        if getattr(p, "is_flag", False) and not p.is_eager:  # typer's Option: click's, or typer's own copy
            on, off = p.opts[0], (p.secondary_opts[0] if p.secondary_opts else None)
            for name in (*p.opts, *p.secondary_opts):
                out[name] = (on, off)
    return out


def normalize_argv(argv: Sequence[str], group) -> tuple[list[str], list[str]]:
    """``argv`` (without the program name) with deprecated spellings renamed and boolean flag values folded in;
    returns it and the deprecation notes to print. ``group`` is the click group of the app
    (``typer.main.get_command(app)``)."""
    argv = list(argv)
    if not argv or argv[0] not in group.commands:
        return argv, []
    name, command = argv[0], group.commands[argv[0]]
    renames, flags = DEPRECATED.get(name, {}), _flags(command)
    out, notes, i = [name], [], 1
    while i < len(argv):
        a = argv[i]
        key, eq, value = a.partition("=") if a.startswith("--") else (a, "", "")
        if key in renames:
            notes.append(f"note: {name} {key} is deprecated (removed in {REMOVED_IN}): use {renames[key]}")
            key = renames[key]
            a = key + (eq + value if eq else "")
        if key in flags:
            on, off = flags[key]
            nxt = value.lower() if eq else (argv[i + 1].lower() if i + 1 < len(argv) else "")
            if nxt in TRUE | FALSE:
                negate = (nxt in FALSE) != (key == off)
                if negate and off is None:
                    i += 1 if eq else 2  # "--flag false" with no off spelling: the default (off)
                    continue
                out.append(off if negate else on)
                i += 1 if eq else 2
                continue
        out.append(a)
        i += 1
    return out, notes
