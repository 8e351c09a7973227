#pragma once
// One exception type for every user-facing failure (bad config, data, checkpoint, flag). Its
// message is the one line the CLI prints before exiting non-zero, so it must name the file/field.
#include <fmt/format.h>

#include <stdexcept>
#include <string>

namespace metaevo {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

template <typename... Args>
[[noreturn]] void fail(fmt::format_string<Args...> format, Args&&... args) {
  throw Error(fmt::format(format, std::forward<Args>(args)...));
}

/// Runs `f`; an Error it throws is raised again with "`context`: " in front, to name the file,
/// key or flag that was at fault.
template <typename F>
void with_context(const std::string& context, F&& f) {
  try {
    f();
  } catch (const Error& e) {
    fail("{}: {}", context, e.what());
  }
}

#define METAEVO_CHECK(cond, ...)               \
  do {                                         \
    if (!(cond)) ::metaevo::fail(__VA_ARGS__); \
  } while (0)

}  // namespace metaevo
