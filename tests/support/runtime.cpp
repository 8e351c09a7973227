// The test process allocates as the CLI does (huge pages for large tensors, freed memory kept):
// the data a test loads in-process then costs what it costs a command, not 5-10x more in faults.
// Decoded data (data/cache.h) is cached in the build tree, shared by every test process and the
// commands they start, rather than in the user's home.
#include "metaevo/core/runtime.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

namespace {

class Runtime : public ::testing::Environment {
 public:
  void SetUp() override {
    metaevo::configure_allocator();
    const auto cache = std::filesystem::path(METAEVO_BINARY).parent_path().parent_path() / "test-cache";
    ::setenv("METAEVO_CACHE_DIR", cache.c_str(), 0);
  }
};

const auto* const runtime = ::testing::AddGlobalTestEnvironment(new Runtime);

}  // namespace
