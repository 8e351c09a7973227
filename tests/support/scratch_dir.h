#pragma once
// A fixture with a fresh folder per test (named after it, removed afterwards) and a helper to
// write files into it, for tests that drive the CLI.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "metaevo/core/atomic_file.h"

namespace metaevo::testing {

class ScratchDirTest : public ::testing::Test {
 protected:
  explicit ScratchDirTest(std::string prefix) : prefix_(std::move(prefix)) {}
  void SetUp() override {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(name.begin(), name.end(), '/', '_');  // parameterised names
    dir_ = std::filesystem::temp_directory_path() / (prefix_ + name);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const auto path = (dir_ / name).string();
    write_file_atomic(path, text);
    return path;
  }

  std::string prefix_;
  std::filesystem::path dir_;
};

}  // namespace metaevo::testing
