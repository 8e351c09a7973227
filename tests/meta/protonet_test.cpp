// The prototype / distance arithmetic and the conv4 encoder.
#include "metaevo/meta/protonet.h"

#include <gtest/gtest.h>

#include "metaevo/core/error.h"
#include "metaevo/models/zoo.h"

namespace metaevo::meta {
namespace {

TEST(ProtoNet, PrototypesAndLogitsByHand) {
  // Two classes, two shots, 2-D embeddings.
  auto support = torch::tensor({{0.f, 0.f}, {2.f, 0.f}, {0.f, 4.f}, {0.f, 6.f}});
  auto protos = prototypes(support, 2);
  EXPECT_TRUE(torch::equal(protos, torch::tensor({{1.f, 0.f}, {0.f, 5.f}})));
  auto query = torch::tensor({{1.f, 1.f}});
  // Squared distances: to (1,0): 1; to (0,5): 1 + 16 = 17.
  EXPECT_TRUE(torch::equal(proto_logits(query, protos), torch::tensor({{-1.f, -17.f}})));
  // Leading batch dimensions (population members) are kept.
  auto batched = proto_logits(query.expand({3, 1, 2}), prototypes(support.expand({3, 4, 2}), 2));
  EXPECT_EQ(batched.sizes(), (std::vector<int64_t>{3, 1, 2}));
  EXPECT_THROW(prototypes(support, 3), Error);
}

TEST(ProtoNet, Conv4EmbedsTo64Features) {
  auto net = models::make_conv4(1, 64, 0);
  EXPECT_EQ(net->forward(torch::rand({2, 1, 28, 28})).sizes(), (std::vector<int64_t>{2, 64}));
}

}  // namespace
}  // namespace metaevo::meta
