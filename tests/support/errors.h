#pragma once
// The message of the metaevo::Error a call throws, for tests that check what an error names.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "metaevo/core/error.h"

namespace metaevo::testing {

/// What `f` throws as an Error; a test failure and "" when it throws nothing.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error";
  return "";
}

}  // namespace metaevo::testing
