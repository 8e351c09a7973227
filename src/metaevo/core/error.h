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

/// The user asked a run to stop (Ctrl-C in a Python callback): a long loop that sees it saves a
/// checkpoint of its last complete step, so nothing completed is lost, and throws it on.
class Interrupted : public std::runtime_error {
 public:
  Interrupted() : std::runtime_error("interrupted") {}
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
