#pragma once
// CSV fields as RFC 4180 writes them, so that paths and JSON with commas or quotes stay one field.
#include <string>
#include <vector>

namespace metaevo {

/// `text` as one CSV field: quoted, with quotes doubled, when it holds a comma, quote or line break.
std::string csv_field(const std::string& text);

/// The fields of one CSV line (without its line break), quotes undone; an Error when a quote is
/// left open.
std::vector<std::string> csv_fields(const std::string& line);

}  // namespace metaevo
