#!/usr/bin/env python3
"""Rewrites the README's option tables from the registrations: every `<!-- describe CMD POINT -->`
marker is followed by the table `metaevo CMD --describe-markdown` prints for it. The test
ReadmeOptionTables checks the result. Usage: scripts/option_tables.py [path/to/metaevo]"""
import subprocess
import sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
binary = sys.argv[1] if len(sys.argv) > 1 else str(root / "build" / "bin" / "metaevo")
tables = {}
for command in ("es", "tune", "mlo"):
    text = subprocess.run([binary, command, "--describe-markdown"], check=True, capture_output=True, text=True).stdout
    for block in text.split("<!-- describe ")[1:]:
        marker, _, body = block.partition("-->\n")
        tables["<!-- describe " + marker + "-->"] = body.strip("\n") + "\n"
readme = root / "README.md"
lines, out = readme.read_text().split("\n"), []
i = 0
while i < len(lines):
    out.append(lines[i])
    if lines[i] in tables:
        out.extend(tables.pop(lines[i]).rstrip("\n").split("\n"))
        i += 1
        while i < len(lines) and lines[i].startswith("|"):  # the old table
            i += 1
        continue
    i += 1
readme.write_text("\n".join(out))
for marker in tables:
    print(f"README.md has no place for {marker}; add the marker where the table belongs", file=sys.stderr)
sys.exit(1 if tables else 0)
