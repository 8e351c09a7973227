// CSV fields written and read back: commas, quotes and plain text.
#include "metaevo/core/csv.h"

#include <gtest/gtest.h>

#include "../support/errors.h"

namespace metaevo {
namespace {

TEST(Csv, FieldsRoundTrip) {
  const std::vector<std::string> fields{"plain", "a,b", "say \"hi\"", ""};
  std::string line;
  for (const auto& f : fields) line += (line.empty() ? "" : ",") + csv_field(f);
  EXPECT_EQ(line, "plain,\"a,b\",\"say \"\"hi\"\"\",");
  EXPECT_EQ(csv_fields(line), fields);
  EXPECT_NE(testing::error_of([] { csv_fields("x,\"open"); }).find("unclosed quote"), std::string::npos);
}

}  // namespace
}  // namespace metaevo
