#pragma once
// A flat parameter vector as named tensor segments laid end to end: how a model's parameters map
// onto the one vector that ES searches (and that checkpoints and noise streams index).
#include <cstdint>
#include <string>
#include <vector>

namespace metaevo::models {

struct Segment {
  std::string name;
  std::vector<int64_t> shape;
  int64_t offset = 0;
  int64_t numel = 0;
  /// Rows of the matrix view (shape[0]) and columns (product of the rest).
  int64_t rows() const { return shape.empty() ? numel : shape[0]; }
  int64_t cols() const { return shape.empty() ? 1 : numel / shape[0]; }
};

/// Segments laid end to end; `dim()` is the flat length.
class Layout {
 public:
  Layout() = default;
  /// One flat segment of length `dim` (test functions, CMA-ES on vectors).
  static Layout flat(int64_t dim);
  void add(std::string name, std::vector<int64_t> shape);
  const std::vector<Segment>& segments() const { return segments_; }
  int64_t dim() const { return dim_; }

 private:
  std::vector<Segment> segments_;
  int64_t dim_ = 0;
};

}  // namespace metaevo::models
