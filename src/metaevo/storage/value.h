#pragma once
// What a statement binds and a query returns, the same on every backend: NULL, a 64-bit integer,
// a double, text, or bytes.
#include <cstdint>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

namespace metaevo::storage {

/// Bytes, kept apart from text: a BLOB in SQLite, a bytea in PostgreSQL.
struct Blob {
  std::string bytes;
};

struct Value {
  std::variant<std::monostate, int64_t, double, std::string, Blob> v;

  Value() = default;
  Value(std::nullptr_t) {}
  template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  Value(T x) : v(int64_t(x)) {}
  Value(double x) : v(x) {}
  Value(std::string x) : v(std::move(x)) {}
  Value(const char* x) : v(std::string(x)) {}
  Value(Blob x) : v(std::move(x)) {}

  bool is_null() const { return std::holds_alternative<std::monostate>(v); }
};

using Params = std::vector<Value>;

/// One result row. The getters name the column and what it holds when the type is not the one
/// asked for (a database written by something else).
class Row {
 public:
  explicit Row(std::vector<Value> values) : values_(std::move(values)) {}
  size_t size() const { return values_.size(); }
  const Value& operator[](size_t i) const { return values_.at(i); }
  bool is_null(size_t i) const { return values_.at(i).is_null(); }
  int64_t integer(size_t i) const;
  /// Integers widen; NULL reads as NaN.
  double real(size_t i) const;
  const std::string& text(size_t i) const;
  const std::string& blob(size_t i) const;

 private:
  std::vector<Value> values_;
};

using Rows = std::vector<Row>;

}  // namespace metaevo::storage
