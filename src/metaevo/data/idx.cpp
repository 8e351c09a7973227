#include "metaevo/data/idx.h"

#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "metaevo/core/error.h"

namespace metaevo::data {
namespace {

constexpr int64_t kMaxBytes = int64_t(1) << 36;

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

// Reads exactly n bytes unless the stream ends; gzread reads raw files transparently.
int64_t read_some(gzFile f, void* dst, int64_t n, const std::string& path) {
  int64_t done = 0;
  while (done < n) {
    const unsigned chunk = unsigned(std::min<int64_t>(n - done, 1 << 30));
    const int got = gzread(f, static_cast<char*>(dst) + done, chunk);
    if (got < 0) {
      int code = 0;
      const char* msg = gzerror(f, &code);
      fail("{}: corrupt compressed data ({})", path, msg ? msg : "unknown zlib error");
    }
    if (got == 0) break;
    done += got;
  }
  return done;
}

}  // namespace

torch::Tensor read_idx(const std::string& path) {
  GzFile f(gzopen(path.c_str(), "rb"));
  if (!f) fail("{}: cannot open IDX file ({})", path, std::strerror(errno));
  unsigned char header[4];
  if (read_some(f.get(), header, 4, path) != 4) fail("{}: truncated: no IDX header", path);
  if (header[0] != 0 || header[1] != 0) fail("{}: not an IDX file (bad magic)", path);
  if (header[2] != 0x08) fail("{}: unsupported IDX element type 0x{:02x} (only unsigned bytes, 0x08)", path, header[2]);
  const int ndims = header[3];
  if (ndims < 1 || ndims > 4) fail("{}: bad IDX dimension count {}", path, ndims);
  std::vector<int64_t> shape(ndims);
  int64_t total = 1;
  for (int d = 0; d < ndims; ++d) {
    unsigned char b[4];
    if (read_some(f.get(), b, 4, path) != 4) fail("{}: truncated: incomplete IDX header", path);
    shape[d] = (int64_t(b[0]) << 24) | (int64_t(b[1]) << 16) | (int64_t(b[2]) << 8) | int64_t(b[3]);
    // The cap keeps a corrupt header from asking for an absurd allocation (or overflowing total).
    if (shape[d] <= 0 || shape[d] > kMaxBytes / total)
      fail("{}: bad IDX header: dimension {} is {} (data would exceed {} bytes)", path, d, shape[d], kMaxBytes);
    total *= shape[d];
  }
  auto out = torch::empty(shape, torch::kUInt8);
  const int64_t got = read_some(f.get(), out.data_ptr(), total, path);
  if (got != total) fail("{}: truncated: expected {} bytes of data, got {}", path, total, got);
  unsigned char extra;
  if (read_some(f.get(), &extra, 1, path) != 0)
    fail("{}: {} bytes of data expected, but the file is longer", path, total);
  return out;
}

}  // namespace metaevo::data
