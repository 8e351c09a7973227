#!/usr/bin/env python3
"""The include graph of src/metaevo against its declared layers.

    check_layers.py [SRC_DIR]      (default: the src/metaevo beside this script)

Reads SRC_DIR/layers.txt ("area: areas it may use") and every .h/.cpp file under SRC_DIR/<area>/,
and fails (exit 1, one line per offence) on an include of an area that the line of the including
area does not name, on a folder that layers.txt does not list, on a cycle among the declared
areas, and on a database or MPI header included outside the one place that wraps it
(storage/backends/, dist/mpi.cpp). Headers count like sources: a header-only dependency is still a
dependency.
"""
import pathlib
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*"metaevo/([a-z_]+)/')
# System headers that only their wrapper may include: (pattern, the wrapper's path under src).
WRAPPED = [(re.compile(r'^\s*#\s*include\s*<(SQLiteCpp/|sqlite3\.h|pqxx/)'), "storage/backends/"),
           (re.compile(r'^\s*#\s*include\s*<mpi\.h>'), "dist/mpi.cpp")]


def read_layers(path):
    layers = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        area, sep, uses = line.partition(":")
        if not sep or not re.fullmatch(r"[a-z_]+", area.strip()):
            sys.exit(f"{path}:{number}: expected 'area: areas it may use'")
        layers[area.strip()] = set(uses.split())
    return layers


def cycle(layers):
    """One cycle among the declared dependencies, or None."""
    state = {}

    def visit(area, path):
        state[area] = "open"
        for used in sorted(layers.get(area, ())):
            if state.get(used) == "open":
                return path + [area, used]
            if used not in state:
                found = visit(used, path + [area])
                if found:
                    return found
        state[area] = "done"
        return None

    for area in sorted(layers):
        if area not in state:
            found = visit(area, [])
            if found:
                return found
    return None


def main():
    src = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent / "src" / "metaevo"
    layers = read_layers(src / "layers.txt")
    problems = []
    for area, uses in layers.items():
        for used in uses:
            if used not in layers:
                problems.append(f"{src / 'layers.txt'}: {area} uses '{used}', which is not an area")
    found = cycle(layers)
    if found:
        problems.append(f"{src / 'layers.txt'}: the declared areas form a cycle: {' -> '.join(found)}")
    for folder in sorted(p for p in src.iterdir() if p.is_dir()):
        if folder.name not in layers:
            problems.append(f"{folder}: an area that layers.txt does not list")
    for area, uses in sorted(layers.items()):
        for path in sorted((src / area).rglob("*")):
            if path.suffix not in (".h", ".cpp"):
                continue
            for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                for pattern, wrapper in WRAPPED:
                    if pattern.match(line) and not str(path.relative_to(src)).startswith(wrapper):
                        problems.append(f"{path}:{number}: {line.strip()} belongs in {wrapper} alone")
                m = INCLUDE.match(line)
                if m and m.group(1) != area and m.group(1) not in uses:
                    allowed = ", ".join(sorted(uses)) or "no other area"
                    problems.append(f"{path}:{number}: {area} includes metaevo/{m.group(1)}/, "
                                    f"but may use only {allowed} (src/metaevo/layers.txt)")
    for p in problems:
        print(p)
    print(f"check_layers: {len(problems)} problem(s) in {len(layers)} areas")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
