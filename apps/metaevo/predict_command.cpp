// `metaevo predict --system DB --task NAME --input FILE...`: runs one task's path of a stored muNet
// system on images and writes, per image, the predicted class and its probability (CSV: to
// --output, else standard output). An input is a PNG image (any size; converted to gray and
// area-resized to 28 x 28) or an IDX image file as in the MNIST release (raw or gzipped,
// [N, 28, 28] bytes). Images are read as the task's training images are: bright strokes on a dark
// background; --invert turns dark-on-bright drawings (such as Omniglot's original PNGs) around.
#include <iostream>
#include <sstream>

#include "commands.h"
#include "metaevo/core/atomic_file.h"
#include "metaevo/core/error.h"
#include "metaevo/core/runtime.h"
#include "metaevo/data/idx.h"
#include "metaevo/data/images.h"
#include "metaevo/munet/predict.h"
#include "metaevo/munet/system_store.h"
#include "metaevo/storage/backend.h"

namespace metaevo::cli {
namespace {

using namespace metaevo::munet;

struct PredictArgs {
  std::string system, task, output, device = "cpu";
  std::vector<std::string> inputs;
  bool invert = false;
};

/// The images of one input file as float [N, 1, 28, 28] in [0, 1].
torch::Tensor read_images(const std::string& path) {
  const bool png = path.size() >= 4 && path.compare(path.size() - 4, 4, ".png") == 0;
  if (!png) {
    const auto idx = data::read_idx(path);
    METAEVO_CHECK(idx.dim() == 3 && idx.size(1) == 28 && idx.size(2) == 28,
                  "{}: expected IDX images of shape [N, 28, 28], got {}", path, c10::str(idx.sizes()));
    return idx.to(torch::kFloat32).div(255).unsqueeze(1);
  }
  return data::read_png_image(path, data::kImageSide).unsqueeze(0);
}

int run_predict(const Common& common, const PredictArgs& args) {
  start_runtime(common);
  std::vector<TaskIteration> history;
  const auto device = parse_device(args.device);
  const auto system = load_system(args.system, history, device);
  std::ostringstream csv;
  csv << "input,index,class,probability\n";
  for (const auto& input : args.inputs) {
    auto images = read_images(input);
    if (args.invert) images = 1 - images;
    torch::Tensor probabilities;
    with_context(storage::mask_password(args.system), [&] { probabilities = predict(system, args.task, images); });
    const auto [p, label] = probabilities.max(1);
    for (int64_t i = 0; i < images.size(0); ++i)
      csv << fmt::format("{},{},{},{:.6f}\n", input, i, label[i].item<int64_t>(), p[i].item<double>());
  }
  if (args.output.empty()) {
    std::cout << csv.str();
  } else {
    write_file_atomic(args.output, csv.str());
  }
  return 0;
}

}  // namespace

void add_predict_command(CLI::App& app, Common& common, Action& action) {
  auto args = std::make_shared<PredictArgs>();
  auto* cmd = app.add_subcommand("predict", "run one task's path of a stored muNet system on images");
  cmd->add_option("--system", args->system, "the system: OUTPUT/system.db of metaevo evolve, or its postgresql:// URL")
      ->required();
  cmd->add_option("--task", args->task, "the task whose path classifies the images")->required();
  cmd->add_option("--input", args->inputs, "PNG image or IDX image file (repeatable)")->required();
  cmd->add_option("--output", args->output, "CSV file to write (default: standard output)");
  cmd->add_flag("--invert", args->invert, "the images are dark strokes on a bright background");
  cmd->add_option("--device", args->device, "cpu | cuda | cuda:N");
  cmd->callback([&common, &action, args] { action = [&common, args] { return run_predict(common, *args); }; });
}

}  // namespace metaevo::cli
