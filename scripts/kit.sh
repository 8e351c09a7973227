#!/usr/bin/env bash
# The dependency kit: the Debian packages the build needs beyond LibTorch (yaml-cpp, nlohmann-json,
# CLI11, spdlog, fmt, SQLiteCpp, SQLite, libzip, libpng, zlib, GoogleTest) with the libraries they
# load, fetched with `apt-get download` (nothing installed; root only for `apt-get update` when the
# package lists are empty) and unpacked into KIT/prefix
# (default kit/, ignored by git). A build configured with -DMETAEVO_KIT=KIT/prefix finds them there
# first; scripts/setup.sh builds that way, so every CI run rehearses the kit, and
# scripts/check_kit.py checks that the build took nothing the kit should carry from the system.
# The kit travels with the working tree to a machine without these packages (bench/gpu.sh).
#   scripts/kit.sh [KIT]     (a rerun keeps a complete kit)
# Not in it: MPI, PostgreSQL's client, pybind11 and Google Benchmark, whose parts of the build are
# options (METAEVO_MPI, METAEVO_POSTGRES, METAEVO_PYTHON, METAEVO_BUILD_BENCH).
set -euo pipefail
self=$(realpath "$0")
cd "$(dirname "$self")/.."
kit=${1:-kit}
roots=(libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libsqlitecpp-dev libsqlite3-dev
  libzip-dev libpng-dev zlib1g-dev libgtest-dev)
# What any machine with a C++ compiler has, and what the roots drag in without using it (libc's
# RPC and Kerberos libraries, GoogleTest's sources, CLI11's test framework).
base='^(libc6|libc6-dev|libc-dev-bin|libcrypt.*|libnsl.*|libtirpc.*|rpcsvc-proto|linux-libc-dev|gcc-[0-9]+-base|libgcc-s1|libstdc\+\+6|libgssapi-krb5-2|libk5crypto3|libkeyutils1|libkrb5.*|libcom-err2|googletest|catch2)$'
closure() {
  apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances \
    "${roots[@]}" 2>/dev/null | grep -v '^[ <]' | sort -u | grep -Ev "$base"
}
# Package lists emptied (as container images do) know none of the roots: fill them once.
if ! apt-cache show "${roots[@]}" >/dev/null 2>&1; then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo=sudo
  $sudo apt-get update -qq
fi
mapfile -t packages < <(closure)
# A kit is complete for this script and these packages (a changed script remakes it).
stamp="$kit/prefix/.packages"
made_by="$(sha256sum "$self" | cut -c1-16) ${packages[*]}"
if [[ -f $stamp && $(cat "$stamp") == "$made_by" ]]; then exit 0; fi
rm -rf "$kit"
mkdir -p "$kit/debs" "$kit/prefix"
(cd "$kit/debs" && apt-get download -qq -o APT::Sandbox::User=root "${packages[@]}")
for deb in "$kit"/debs/*.deb; do dpkg-deb -x "$deb" "$kit/prefix"; done
prefix=$(cd "$kit/prefix" && pwd)
# Merged /usr, as on current distributions: runtime libraries some packages put in /lib join
# /usr/lib, where the linker looks for the libraries that libraries need.
if [[ -d $prefix/lib && ! -L $prefix/lib ]]; then
  cp -a "$prefix/lib/." "$prefix/usr/lib/"
  rm -rf "${prefix:?}/lib"
  ln -s usr/lib "$prefix/lib"
fi
# Absolute links (libz.so -> /lib/...) would leave the kit: point them inside it, relatively.
while IFS= read -r link; do
  target=$(readlink "$link")
  ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$prefix${target/#\/lib\//\/usr\/lib\/}")" "$link"
done < <(find "$prefix" -type l -lname '/*')
# What the build never reads, so the kit travels lighter (it shares 64 MiB with the data): static
# archives of libraries it links shared, OpenSSL's plugins, documentation.
find "$prefix/usr/lib" -name '*.a' ! -name 'libSQLiteCpp.a' ! -name 'libgtest*.a' ! -name 'libgmock*.a' -delete
rm -rf "$kit/debs" "$prefix/usr/share/doc" "$prefix/usr/share/man" "$prefix/usr/src" \
  "$prefix/usr/lib/x86_64-linux-gnu/engines-3" "$prefix/usr/lib/x86_64-linux-gnu/ossl-modules"
echo "$made_by" > "$stamp"
echo "kit: ${#packages[@]} packages in $kit/prefix ($(du -sh "$kit" | cut -f1))"
