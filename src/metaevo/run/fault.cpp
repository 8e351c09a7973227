#include "metaevo/run/fault.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <string>

namespace metaevo::run {
namespace {

struct Plan {
  std::string point;
  long pass = 0;
  int signal = SIGKILL;
};

const Plan& plan() {
  static const Plan p = [] {
    Plan out;
    const char* spec = std::getenv("METAEVO_CRASH_AT");
    if (!spec && (spec = std::getenv("METAEVO_STOP_AT"))) out.signal = SIGSTOP;
    if (!spec) return out;
    const std::string s(spec);
    const auto colon = s.rfind(':');
    if (colon == std::string::npos) return out;
    out.point = s.substr(0, colon);
    out.pass = std::atol(s.c_str() + colon + 1);
    return out;
  }();
  return p;
}

std::mutex mutex;
std::map<std::string, long> passes;

}  // namespace

bool crash_due(const char* point) {
  const auto& p = plan();
  if (p.pass <= 0 || p.point != point) return false;
  std::lock_guard<std::mutex> lock(mutex);
  return passes[point] + 1 == p.pass;
}

void crash_point(const char* point) {
  const auto& p = plan();
  if (p.pass <= 0 || p.point != point) return;
  std::lock_guard<std::mutex> lock(mutex);
  if (++passes[point] == p.pass) ::kill(::getpid(), p.signal);
}

}  // namespace metaevo::run
