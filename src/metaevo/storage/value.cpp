#include "metaevo/storage/value.h"

#include <cmath>

#include "metaevo/core/error.h"

namespace metaevo::storage {

namespace {
const char* kind(const Value& value) {
  constexpr const char* kinds[] = {"NULL", "an integer", "a real", "text", "bytes"};
  return kinds[value.v.index()];
}
}  // namespace

int64_t Row::integer(size_t i) const {
  const auto& value = values_.at(i);
  if (const auto* x = std::get_if<int64_t>(&value.v)) return *x;
  fail("column {}: expected an integer, found {}", i, kind(value));
}

double Row::real(size_t i) const {
  const auto& value = values_.at(i);
  if (const auto* x = std::get_if<double>(&value.v)) return *x;
  if (const auto* x = std::get_if<int64_t>(&value.v)) return double(*x);
  if (value.is_null()) return std::nan("");
  fail("column {}: expected a number, found {}", i, kind(value));
}

const std::string& Row::text(size_t i) const {
  const auto& value = values_.at(i);
  if (const auto* x = std::get_if<std::string>(&value.v)) return *x;
  fail("column {}: expected text, found {}", i, kind(value));
}

const std::string& Row::blob(size_t i) const {
  const auto& value = values_.at(i);
  if (const auto* x = std::get_if<Blob>(&value.v)) return x->bytes;
  fail("column {}: expected bytes, found {}", i, kind(value));
}

}  // namespace metaevo::storage
