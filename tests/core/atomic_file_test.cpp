#include "metaevo/core/atomic_file.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "metaevo/core/error.h"

namespace metaevo {

TEST(AtomicFile, ReplacesContentAndLeavesNoTemporary) {
  namespace fs = std::filesystem;
  const auto dir = fs::temp_directory_path() / "metaevo_atomic_test";
  fs::remove_all(dir);
  const auto path = (dir / "sub" / "f.bin").string();
  write_file_atomic(path, "first");
  write_file_atomic(path, std::string("sec\0ond", 7));
  EXPECT_EQ(read_file(path), std::string("sec\0ond", 7));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "sub"), fs::directory_iterator()), 1);
  fs::remove_all(dir);
}

TEST(AtomicFile, MissingFileErrorNamesIt) {
  try {
    read_file("/nonexistent/dir/x.pt");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/x.pt"), std::string::npos);
  }
}

}  // namespace metaevo
