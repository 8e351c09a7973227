// Chart specs: an image grid inlines each picture as a base64 data URL (RFC 4648, with padding).
#include "metaevo/report/charts.h"

#include <gtest/gtest.h>

namespace metaevo::report {
namespace {

TEST(ImageGrid, InlinesEachPictureAsABase64DataUrl) {
  const auto chart = image_grid("t", "x", "y", {{"1", "a", "Man", 0.5}, {"2", "a", "Ma", 0}, {"1", "b", "M", 1}}, "w");
  const auto& rows = chart.spec["data"]["values"];
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]["url"], "data:image/png;base64,TWFu");
  EXPECT_EQ(rows[1]["url"], "data:image/png;base64,TWE=");
  EXPECT_EQ(rows[2]["url"], "data:image/png;base64,TQ==");
  EXPECT_EQ(rows[0]["x"], "1");
  EXPECT_EQ(rows[2]["series"], "b");
  EXPECT_EQ(rows[0]["y"], 0.5);
  EXPECT_EQ(chart.spec["mark"]["type"], "image");
}

}  // namespace
}  // namespace metaevo::report
