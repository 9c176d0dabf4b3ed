"""The requirement lines behind the locks, and the digest that ties a lock to them.

One source for `make lock` (scripts/lock/lock.sh), `make deps-latest` and tests/unit/test_lock.py.
requirements-test.txt is the input of .venv's lock (it includes requirements.txt with `-r`);
the sanity venv's lock takes its ansible-core line and its holds.  A `# hold:` comment marks a
transitive package kept below its newest release; `latest` mode drops those lines.
"""
from __future__ import annotations

import hashlib
import pathlib
import re
import sys

INPUT = "requirements-test.txt"
LOCKS = {"requirements": "requirements.lock", "requirements-sanity": "requirements-sanity.lock"}
HEADER = "# lock-inputs sha256:"


def requirement_lines(root: pathlib.Path, name: str = INPUT) -> list[tuple[str, bool]]:
    """(requirement, held) for every requirement line of `name`, following `-r`, comments removed."""
    out: list[tuple[str, bool]] = []
    for raw in (root / name).read_text(encoding="utf-8").splitlines():
        line, _hash, comment = raw.partition("#")
        line = line.strip()
        if not line:
            continue
        if line.startswith("-r "):
            out += requirement_lines(root, line[3:].strip())
            continue
        out.append((line, comment.strip().startswith("hold:")))
    return out


def project_name(requirement: str) -> str:
    """PEP 503 normalised name of a requirement line (`moto[server]==5.1.14` -> `moto`)."""
    return re.sub(r"[-_.]+", "-", re.split(r"[\[=<>!~; ]", requirement, maxsplit=1)[0]).lower()


def inputs(root: pathlib.Path, latest: bool = False) -> dict[str, list[str]]:
    """The requirement lines of each lock."""
    lines = [(r, held) for r, held in requirement_lines(root) if not (latest and held)]
    sanity = [r for r, held in lines if held or project_name(r) == "ansible-core"]
    return {"requirements": [r for r, _held in lines], "requirements-sanity": sanity}


def digest(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()


def lock_pins(text: str) -> dict[str, str]:
    """name -> version of every package a lock pins (names as the lock writes them: normalised)."""
    return {project_name(n): v for n, v in re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", text, re.M)}


def moves(old: str, new: str) -> list[str]:
    """``name old -> new`` for every package whose pin differs between two locks' texts (``-`` if absent)."""
    a, b = lock_pins(old), lock_pins(new)
    return [f"{n} {a.get(n, '-')} -> {b.get(n, '-')}" for n in sorted(set(a) | set(b)) if a.get(n) != b.get(n)]


def disagreements(root: pathlib.Path, lock_dir: pathlib.Path | None = None) -> list[str]:
    """Every way the committed locks and the input files disagree; empty when they agree."""
    problems = []
    for name, lines in inputs(root).items():
        path = (lock_dir or root) / LOCKS[name]
        if not path.exists():
            problems.append(f"{path.name} is missing: run `make lock`")
            continue
        text = path.read_text(encoding="utf-8")
        pins = lock_pins(text)
        for line in lines:
            want = re.search(r"==\s*([^\s;]+)", line)
            have = pins.get(project_name(line))
            if have is None:
                problems.append(f"{path.name} lacks {project_name(line)} ({line}): run `make lock`")
            elif want and want.group(1) != have:
                problems.append(f"{path.name} pins {project_name(line)}=={have}, the input says {line}: run `make lock`")
        first = text.splitlines()[0] if text else ""
        if not first.startswith(f"{HEADER} {digest(lines)} "):
            problems.append(f"{path.name} was not resolved from the current input lines "
                            f"(its first line records another digest): run `make lock`")
    return problems


def main(mode: str, root: str, work: str) -> None:
    for name, lines in inputs(pathlib.Path(root), latest=mode == "latest").items():
        pathlib.Path(work, f"{name}.in").write_text("\n".join(lines) + "\n", encoding="utf-8")
        header = (f"{HEADER} {digest(lines)} (of the requirement lines it is resolved from: "
                  f"scripts/lock/inputs.py; regenerate with `make lock`)\n")
        pathlib.Path(work, f"{name}.header").write_text(header, encoding="utf-8")


if __name__ == "__main__":
    if sys.argv[1] == "moves":  # make deps-latest: what moves from the committed lock to the newest one
        changed = moves(*(pathlib.Path(p).read_text(encoding="utf-8") for p in sys.argv[2:4]))
        print(f"deps-latest: {len(changed)} packages move:" if changed else "deps-latest: nothing moves")
        print("".join(f"  {m}\n" for m in changed), end="")
    else:
        main(*sys.argv[1:4])
