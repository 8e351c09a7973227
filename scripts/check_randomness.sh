#!/usr/bin/env bash
# One randomness policy (core/random_stream.h, core/philox.h): the library draws only from
# counter-based Philox streams derived from the run seed, and hands LibTorch explicit generators.
# Fails on any std:: engine or distribution, global torch seeding, or C rand in src/.
set -euo pipefail
cd "$(dirname "$0")/.."
if grep -rnE 'mt19937|minstd_rand|default_random_engine|random_device|std::[a-z_]+_distribution|manual_seed|std::shuffle|[^_a-z]s?rand\(' src; then
  echo "check_randomness: draw from a RandomStream or Philox stream instead (core/random_stream.h)"
  exit 1
fi
echo "check_randomness: src/ draws only from Philox streams"
