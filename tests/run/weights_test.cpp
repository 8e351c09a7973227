// Final weights a PyTorch user can load: python3-torch reads weights.pt into the equivalent
// torch.nn module by name and computes metaevo's logits. Skipped with a message where Debian's
// python3-torch is not installed (scripts/setup.sh installs it).
#include "../support/weights.h"

#include <gtest/gtest.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <cstdlib>
#include <filesystem>

#include "../support/process.h"
#include "metaevo/core/atomic_file.h"
#include "metaevo/meta/protonet.h"
#include "metaevo/models/zoo.h"
#include "metaevo/run/weights.h"

namespace {

namespace fs = std::filesystem;
using namespace metaevo;

const char* kPython = "/usr/bin/python3";  // Debian's, where python3-torch installs
const std::string kScript = METAEVO_SOURCE_DIR "/tests/run/pytorch_logits.py";

bool has_pytorch() { return std::system((std::string(kPython) + " -c 'import torch' 2>/dev/null").c_str()) == 0; }

#define SKIP_WITHOUT_PYTORCH() \
  if (!has_pytorch()) GTEST_SKIP() << kPython << " cannot import torch (apt-get install python3-torch)"

fs::path fresh(const std::string& name) {
  const auto dir = fs::temp_directory_path() / ("metaevo_weights_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// Writes {x, logits of `net` on x} for the Python side, and runs it on `weights`.
int check_in_pytorch(torch::nn::Sequential net, const std::string& spec, const fs::path& weights, const fs::path& dir) {
  torch::manual_seed(5);
  auto x = torch::rand({6, 1, 28, 28});
  net->eval();
  torch::NoGradGuard no_grad;
  c10::Dict<std::string, at::Tensor> io;
  io.insert("x", x);
  io.insert("logits", net->forward(x));
  const auto bytes = torch::pickle_save(io);
  write_file_atomic((dir / "case.pt").string(), std::string(bytes.begin(), bytes.end()));
  return metaevo::testing::wait_for(
      metaevo::testing::spawn({kPython, kScript, spec, weights.string(), (dir / "case.pt").string()}, {},
                              (dir / "python.txt").string()),
      120);
}

TEST(Weights, ProtoNetEncoderLoadsInPyTorchWithItsBatchNormBuffers) {
  SKIP_WITHOUT_PYTORCH();
  const auto dir = fresh("conv4");
  auto net = models::make_conv4(1, 8, 3);
  net->train();
  net->forward(torch::randn({10, 1, 28, 28}));  // moves the running statistics off their defaults
  run::save_state_dict(*net, (dir / "weights.pt").string());
  EXPECT_EQ(check_in_pytorch(net, "conv4:1:8", dir / "weights.pt", dir), 0) << read_file((dir / "python.txt").string());
  // A different model under the same names is caught: the check is not vacuous.
  auto other = models::make_conv4(1, 8, 4);
  EXPECT_EQ(check_in_pytorch(other, "conv4:1:8", dir / "weights.pt", dir), 1)
      << read_file((dir / "python.txt").string());
}

TEST(Weights, EsClassifierFromTheCliLoadsInPyTorch) {
  SKIP_WITHOUT_PYTORCH();
  if (!fs::exists("/usr/share/datasets/fashion-mnist")) GTEST_SKIP() << "Fashion-MNIST is not installed";
  for (const std::string kind : {"mlp", "cnn"}) {
    const auto dir = fresh(kind);
    const auto config = (dir / "run.yaml").string();
    write_file_atomic(config,
                      "seed: 2\nthreads: 1\n"
                      "problem: {type: classification, dataset: fashion-mnist, batch: 32, "
                      "model: {type: " +
                          kind +
                          ", hidden: [12, 10], channels: [4], input_pool: 2}}\n"
                          "strategy: {name: openai_es, population: 8, sigma: 0.05}\n"
                          "run: {generations: 3, report_every: 0, log_every_s: 100}\n");
    ASSERT_EQ(metaevo::testing::run_cli({"es", "--config", config, "--output", (dir / "out").string()}), 0);
    // metaevo's own model with the saved weights, by name.
    models::ModelOptions o;
    o.type = kind;
    o.hidden = {12, 10};
    o.channels = {4};
    o.input_pool = 2;
    auto net = models::make_classifier(o, {1, 28, 28}, 10, 99);
    const auto saved = metaevo::testing::load_state_dict((dir / "out" / "weights.pt").string());
    ASSERT_EQ(saved.size(), net->named_parameters().size());
    torch::NoGradGuard no_grad;
    for (auto& p : net->named_parameters()) p.value().copy_(saved.at(p.key()));
    const auto spec = kind == "mlp" ? "mlp:2:12,10:10" : "cnn:2:4:10";
    EXPECT_EQ(check_in_pytorch(net, spec, dir / "out" / "weights.pt", dir), 0)
        << kind << ": " << read_file((dir / "python.txt").string());
  }
}

}  // namespace
