// The CUDA path against the CPU path (issue 28): a tiny run of each command that trains on a device
// ends on the GPU where the same run ends on the CPU, within the tolerance of float32 kernels that
// sum in another order. It covers the ES population forward and update (es: the MLP, on MNIST; meta_es: the
// conv4 ProtoNet), backprop through the ProtoNet (meta_backprop), mlo's hypergradients (mlo: cg
// through an unrolled lower problem) and muNet child training (evolve: the stored system). The
// device is METAEVO_TEST_DEVICE (default cuda); without it the tests skip. METAEVO_TEST_DEVICE=cpu
// runs both sides on the CPU, which checks the harness itself: they must then agree exactly.
// Tolerances: weights within 1e-3 + 1e-3 |w| (a handful of ES or SGD steps from equal starts);
// reported accuracies and losses within 0.02 (two test images in a hundred: a prediction at a
// near-tie may flip); everything else (structure, counts, choices) equal.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "../support/system_tensors.h"
#include "../support/tiny_runs.h"
#include "../support/weights.h"
#include "metaevo/core/atomic_file.h"

namespace {

namespace fs = std::filesystem;
using namespace metaevo::testing;

std::string test_device() {
  const char* device = std::getenv("METAEVO_TEST_DEVICE");
  return device ? device : "cuda";
}

/// Empty when `a` and `b` agree (numbers within `tol`, the rest equal), else where they first differ.
std::string differs(const nlohmann::json& a, const nlohmann::json& b, double tol, const std::string& at = "") {
  if (a.is_number() && b.is_number())
    return std::abs(a.get<double>() - b.get<double>()) <= tol ? "" : at + ": " + a.dump() + " vs " + b.dump();
  if (a.type() != b.type() || a.size() != b.size()) return at + ": " + a.dump() + " vs " + b.dump();
  if (a.is_object()) {
    for (const auto& [key, value] : a.items()) {
      if (key == "seconds" || key == "elapsed_s" || key == "device") continue;
      if (!b.contains(key)) return at + "." + key + ": missing";
      if (auto d = differs(value, b.at(key), tol, at + "." + key); !d.empty()) return d;
    }
    return "";
  }
  if (a.is_array()) {
    for (size_t i = 0; i < a.size(); ++i)
      if (auto d = differs(a[i], b[i], tol, at + "[" + std::to_string(i) + "]"); !d.empty()) return d;
    return "";
  }
  return a == b ? "" : at + ": " + a.dump() + " vs " + b.dump();
}

void expect_close(const torch::Tensor& a, const torch::Tensor& b, const std::string& what) {
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  const auto x = a.to(torch::kCPU, torch::kDouble), y = b.to(torch::kCPU, torch::kDouble);
  EXPECT_TRUE(torch::allclose(x, y, 1e-3, 1e-3)) << what << ": max difference " << (x - y).abs().max().item<double>();
}

class CudaParity : public ::testing::TestWithParam<std::string> {};

TEST_P(CudaParity, TheDeviceEndsWhereTheCpuEnds) {
  const auto device = test_device();
  if (device.rfind("cuda", 0) == 0 && !torch::cuda::is_available())
    GTEST_SKIP() << "no CUDA device (METAEVO_TEST_DEVICE=" << device << "; bench/gpu.sh runs these on a GPU)";
  const auto& run = tiny_runs().at(GetParam());
  // es on MNIST rather than Fashion-MNIST: a GPU machine carries one of them (bench/gpu.sh).
  std::vector<std::string> data;
  if (GetParam() == "es") {
    if (!no_mnist().empty()) GTEST_SKIP() << no_mnist();
    data = {"--set", "problem.dataset=mnist", "--set", "problem.data_dir=" + mnist_dir()};
  } else if (run.missing && !run.missing().empty()) {
    GTEST_SKIP() << run.missing();
  }
  const auto root = fs::temp_directory_path() / ("metaevo_cuda_parity_" + GetParam());
  fs::remove_all(root);
  fs::create_directories(root);
  std::map<std::string, fs::path> out;
  for (const std::string on : {"cpu", "device"}) {
    out[on] = root / on;
    auto extra = data;
    extra.insert(extra.end(), {"--set", run.device_key + "=" + (on == "cpu" ? std::string("cpu") : device)});
    ASSERT_EQ(run_tiny(run, out[on], false, {}, extra), 0) << metaevo::read_file(out[on].string() + ".stderr");
  }
  const auto exact = device == "cpu";
  for (const auto& file : run.state_dicts) {
    const auto a = load_state_dict((out["cpu"] / file).string()), b = load_state_dict((out["device"] / file).string());
    ASSERT_EQ(a.size(), b.size()) << file;
    ASSERT_FALSE(a.empty()) << file;
    for (const auto& [name, t] : a) {
      ASSERT_TRUE(b.count(name)) << file << ": " << name;
      if (exact)
        EXPECT_TRUE(torch::equal(t, b.at(name))) << file << ": " << name;
      else
        expect_close(t, b.at(name), file + ": " + name);
    }
  }
  for (const auto& file : run.json_files) {
    auto a = nlohmann::json::parse(metaevo::read_file((out["cpu"] / file).string()));
    auto b = nlohmann::json::parse(metaevo::read_file((out["device"] / file).string()));
    if (!run.json_key.empty()) {
      a = a.at(run.json_key);
      b = b.at(run.json_key);
    }
    EXPECT_EQ(differs(a, b, exact ? 0.0 : 0.02), "") << file;
  }
  if (fs::exists(out["cpu"] / "system.db")) {
    EXPECT_GT(compare_system_tensors((out["cpu"] / "system.db").string(), (out["device"] / "system.db").string(),
                                     [&](const torch::Tensor& a, const torch::Tensor& b, const std::string& what) {
                                       expect_close(a, b, what);
                                     }),
              0);
  }
  fs::remove_all(root);
}

INSTANTIATE_TEST_SUITE_P(EveryDeviceCommand, CudaParity,
                         ::testing::Values("es", "meta_es", "meta_backprop", "mlo", "evolve"),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
