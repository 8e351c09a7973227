#!/usr/bin/env python3
"""Checks that a build configured with -DMETAEVO_KIT=PREFIX (scripts/kit.sh) took nothing from the
system that the kit should carry, so that the kit alone builds metaevo on a machine without those
packages (bench/gpu.sh). Every header the build compiled against (ninja's dependency log) and every
library its programs load (ldd) must lie in the kit, in the source or build tree, or belong to a
package the kit leaves out on purpose: the C and C++ runtime and compiler, LibTorch and what it
loads (a GPU machine brings its own), and the optional parts a GPU build turns off (MPI,
PostgreSQL's client, pybind11 and Python, Google Benchmark). Debian only (it asks dpkg who owns a
file).
    scripts/check_kit.py BUILD_DIR KIT_PREFIX"""
import os
import re
import subprocess
import sys

OUT_OF_SCOPE = re.compile(
    r"^(libc6(-dev)?|libc-dev-bin|linux-libc-dev|libcrypt.*|lib(std)?c\+\+.*|libgcc.*|libgomp.*|gcc-.*"
    r"|libtorch.*|libopenblas.*|libblas.*|liblapack.*|libgfortran.*|libquadmath.*"
    r"|libopenmpi.*|openmpi.*|libpmix.*|libhwloc.*|libevent.*|libfabric.*|libpsm.*|libucx.*|librdmacm.*|libibverbs.*"
    r"|libpqxx.*|libpq.*|pybind11-dev|python3.*|libpython3.*|libbenchmark.*)$")


def headers(build):
    """Absolute paths of the headers ninja recorded for the build's objects."""
    out = subprocess.run(["ninja", "-C", build, "-t", "deps"], capture_output=True, text=True, check=True).stdout
    return {os.path.realpath(os.path.join(build, line.strip())) for line in out.splitlines() if line.startswith("    ")}


def loaded(path):
    """The libraries `path` loads, as ldd resolves them."""
    found = set()
    out = subprocess.run(["ldd", path], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        m = re.search(r"=> (/\S+)", line)
        if m:
            found.add(os.path.realpath(m.group(1)))
        elif "not found" in line:
            sys.exit(f"check_kit: {path}: {line.strip()}")
    return found


def libraries(build):
    """Libraries the build's programs load."""
    programs = [os.path.join(build, p) for p in ("bin/metaevo", "tests/metaevo_tests")]
    return set().union(*(loaded(p) for p in programs if os.path.exists(p)))


def owners(paths):
    """Package owning each path (dpkg -S, also under the /usr-merged alias); None if no package."""
    result = {p: None for p in paths}
    queries = {}
    for p in paths:
        queries[p] = p
        if p.startswith("/usr/lib/") or p.startswith("/usr/bin/"):
            queries[p[4:]] = p  # merged /usr: dpkg may know /lib/... only
    out = subprocess.run(["dpkg", "-S", *queries], capture_output=True, text=True).stdout
    for line in out.splitlines():
        package, _, path = line.partition(": ")
        if path in queries and "diversion" not in package:
            result[queries[path]] = package.split(",")[0].split(":")[0].strip()
    return result


def torch_dev_dependencies():
    """The -dev packages Debian's LibTorch headers bring along (glog, gflags, protobuf): a GPU
    machine's LibTorch carries its own."""
    out = subprocess.run(["apt-cache", "depends", "libtorch-dev"], capture_output=True, text=True).stdout
    return {m.group(1) for m in re.finditer(r"Depends: (\S+)", out)}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    build, kit = (os.path.realpath(a) for a in sys.argv[1:])
    source = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
    used = headers(build) | libraries(build)
    mine = (kit + "/", source + "/", build + "/")
    outside = sorted(p for p in used if not p.startswith(mine))
    from_kit = sum(1 for p in used if p.startswith(kit + "/"))
    torch_deps = torch_dev_dependencies()
    owner = owners(outside)
    in_scope = {p for p, o in owner.items() if o is None or not (OUT_OF_SCOPE.match(o) or o in torch_deps)}
    # What an out-of-scope library loads (LibTorch's protobuf, libpq's Kerberos) is its own business.
    theirs = set().union(set(), *(loaded(p) for p in outside if p not in in_scope and ".so" in os.path.basename(p)))
    bad = [(p, owner[p]) for p in in_scope if p not in theirs]
    for path, package in sorted(bad):
        print(f"check_kit: {path} ({package or 'no package'}) comes from the system, not the kit")
    print(f"check_kit: {len(used)} headers and libraries: {from_kit} from the kit, "
          f"{len(outside) - len(bad)} from the C/C++ runtime, LibTorch or optional parts, {len(bad)} misplaced")
    sys.exit(1 if bad or from_kit == 0 else 0)


if __name__ == "__main__":
    main()
