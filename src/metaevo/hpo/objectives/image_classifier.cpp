// The built-in trainable: an MLP or a small CNN trained by SGD with momentum on Fashion-MNIST or
// MNIST, one epoch per resource unit. The value is accuracy on a validation split held out from
// the training file; the official test set is scored too, for reporting only. Every epoch reseeds
// from (trial seed, epoch), so a trial resumed from its checkpoint follows exactly the path of an
// uninterrupted one.
#include <chrono>
#include <cmath>

#include "metaevo/core/options.h"
#include "metaevo/core/philox.h"
#include "metaevo/core/random_stream.h"
#include "metaevo/core/runtime.h"
#include "metaevo/core/serialize.h"
#include "metaevo/data/batches.h"
#include "metaevo/data/datasets.h"
#include "metaevo/hpo/objective.h"
#include "metaevo/models/init.h"
#include "metaevo/models/zoo.h"
#include "metaevo/run/checkpointer.h"
#include "metaevo/run/settings.h"

namespace metaevo::hpo {
namespace {

struct ImageClassifierOptions {
  std::string type = "image_classifier";
  std::string dataset = "fashion-mnist";
  std::string data_dir;
  std::string model = "mlp";
  int train_size = 0;
  int validation_size = 10000;
  std::string lr_schedule = "constant";
  int schedule_epochs = 0;
  std::string device = "cpu";

  template <class V>
  void visit(V& v) {
    v("type", type, "image_classifier");
    v("dataset", dataset, "registered image data set (fashion-mnist, mnist, mnist-rot:90, omniglot:Greek, ...)");
    v("data_dir", data_dir, "the data set's folder (empty: METAEVO_DATA_DIR or the standard place)");
    v("model", model, "mlp | cnn");
    v("train_size", train_size, "training images used, from the start of the training pool (0 = all not held out)");
    v("validation_size", validation_size, "images held out from the end of the training pool to score trials");
    v("lr_schedule", lr_schedule,
      "constant | cosine: lr annealed to 0 over schedule_epochs, step by step, so that epoch e of a trial is "
      "epoch e of one full-length run, as in NAS-Bench-201's curves");
    v("schedule_epochs", schedule_epochs, "the cosine schedule's length in epochs (the study's max_t)");
    v("device", device, "cpu | cuda");
  }
  void validate() const {
    data::require_dataset("dataset", dataset);
    require(model == "mlp" || model == "cnn", "model", "must be mlp or cnn, got '{}'", model);
    require(train_size >= 0, "train_size", "must be >= 0, got {}", train_size);
    require(validation_size >= 100, "validation_size", "must be >= 100, got {}", validation_size);
    require(lr_schedule == "constant" || lr_schedule == "cosine", "lr_schedule", "must be constant or cosine, got '{}'",
            lr_schedule);
    if (lr_schedule == "cosine")
      require(schedule_epochs >= 1, "schedule_epochs", "must be >= 1 with the cosine schedule, got {}",
              schedule_epochs);
    else
      require(schedule_epochs == 0, "schedule_epochs", "applies only to lr_schedule: cosine, got {}", schedule_epochs);
  }
};

/// The hyperparameters a configuration may set; absent ones keep these defaults.
struct Hyper {
  double lr = 0.05, momentum = 0.9, weight_decay = 0, dropout = 0;
  int64_t batch_size = 128, width = 256, depth = 2;

  explicit Hyper(const Assignment& a) {
    lr = a.value("lr", lr);
    momentum = a.value("momentum", momentum);
    weight_decay = a.value("weight_decay", weight_decay);
    dropout = a.value("dropout", dropout);
    batch_size = a.value("batch_size", batch_size);
    width = a.value("width", width);
    depth = a.value("depth", depth);
    METAEVO_CHECK(lr > 0 && momentum >= 0 && momentum < 1 && weight_decay >= 0 && dropout >= 0 && dropout < 1 &&
                      batch_size >= 1 && width >= 1 && depth >= 1 && depth <= 4,
                  "configuration {}: a hyperparameter is out of range", a.dump());
  }
};

torch::nn::Sequential build(const std::string& kind, const Hyper& h, int64_t side, int64_t classes,
                            const at::Generator& dropout) {
  torch::nn::Sequential net;
  if (kind == "mlp") {
    net->push_back(torch::nn::Flatten());
    std::vector<int64_t> sizes{side * side};
    sizes.insert(sizes.end(), size_t(h.depth), h.width);
    sizes.push_back(classes);
    models::append_mlp(net, sizes, "relu", h.dropout, dropout);
    return net;
  }
  int64_t channels = 1;
  for (int64_t d = 0; d < h.depth; ++d) {
    net->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, h.width, 3).padding(1)));
    net->push_back(torch::nn::ReLU());
    net->push_back(torch::nn::MaxPool2d(2));
    channels = h.width;
    side /= 2;
  }
  net->push_back(torch::nn::Flatten());
  if (h.dropout > 0) net->push_back(models::Dropout(h.dropout, dropout));
  net->push_back(torch::nn::Linear(channels * side * side, classes));
  return net;
}

double accuracy(torch::nn::Sequential& net, const data::Split& split) {
  torch::NoGradGuard no_grad;
  int64_t correct = 0;
  for (int64_t i = 0; i < split.x.size(0); i += 2000) {
    auto x = split.x.slice(0, i, i + 2000);
    correct += net->forward(x).argmax(1).eq(split.y.slice(0, i, i + 2000)).sum().item<int64_t>();
  }
  return double(correct) / double(split.x.size(0));
}

class ImageRun : public TrialRun {
 public:
  ImageRun(const data::Splits& data, const ImageClassifierOptions& o, const Assignment& config, uint64_t seed,
           std::string checkpoint)
      : data_(data),
        options_(o),
        hyper_(config),
        seed_(seed),
        checkpointer_(std::move(checkpoint), "hpo-image-classifier", run::fingerprint(config)),
        generator_(torch_generator(mix64(seed))) {
    net_ = build(o.model, hyper_, data.train.x.size(-1), data.classes, generator_);
    models::init_parameters(*net_, mix64(seed_));
    net_->to(data.train.x.device());
    opt_ = std::make_unique<torch::optim::SGD>(
        net_->parameters(),
        torch::optim::SGDOptions(hyper_.lr).momentum(hyper_.momentum).weight_decay(hyper_.weight_decay));
    load();
  }

  int epoch() const override { return int(history_.size()); }
  EpochMetrics recorded(int e) const override { return history_.at(e - 1); }

  EpochMetrics train_epoch() override {
    const auto start = std::chrono::steady_clock::now();
    const int e = epoch() + 1;
    // The epoch's batches and dropout masks from (seed, epoch): a resumed run redraws them alike.
    generator_.set_current_seed(mix64(seed_, uint64_t(e)));
    const auto& train = data_.train;
    const data::Batches batches(train.x.size(0), hyper_.batch_size, mix64(seed_, 0xBA7C4));
    net_->train();
    for (int64_t b = 0; b < batches.per_epoch(); ++b) {
      const auto idx = batches.indices(int64_t(e - 1) * batches.per_epoch() + b).to(train.x.device());
      set_lr(double(e - 1) + double(b) / double(batches.per_epoch()));
      opt_->zero_grad();
      auto loss = torch::nn::functional::cross_entropy(net_->forward(train.x.index_select(0, idx)),
                                                       train.y.index_select(0, idx));
      loss.backward();
      opt_->step();
    }
    net_->eval();
    EpochMetrics m;
    m.value = accuracy(net_, data_.valid);
    m.test = accuracy(net_, data_.test);
    m.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    history_.push_back(m);
    return m;
  }

  void save() override {
    checkpointer_.save([&](torch::serialize::OutputArchive& archive) {
      torch::serialize::OutputArchive model, optimizer;
      net_->save(model);
      opt_->save(optimizer);
      archive.write("model", model);
      archive.write("optimizer", optimizer);
      auto column = [&](auto field) {
        std::vector<double> v;
        for (const auto& m : history_) v.push_back(m.*field);
        return torch::tensor(v, torch::kFloat64);
      };
      archive.write("value", column(&EpochMetrics::value));
      archive.write("test", column(&EpochMetrics::test));
      archive.write("seconds", column(&EpochMetrics::seconds));
    });
  }

 private:
  void load() {
    checkpointer_.load([&](torch::serialize::InputArchive& archive) {
      torch::serialize::InputArchive model, optimizer;
      if (!archive.try_read("model", model) || !archive.try_read("optimizer", optimizer))
        fail("missing entry 'model' or 'optimizer'");
      net_->load(model);
      opt_->load(optimizer);
      torch::Tensor value, test, seconds;
      read_tensor(archive, "value", value);
      read_tensor(archive, "test", test);
      read_tensor(archive, "seconds", seconds);
      METAEVO_CHECK(test.numel() == value.numel() && seconds.numel() == value.numel(), "entries of unequal length");
      for (int64_t e = 0; e < value.numel(); ++e)
        history_.push_back({value[e].item<double>(), test[e].item<double>(), seconds[e].item<double>()});
    });
  }

  // The lr after `epochs` (fractional) epochs of training; past the schedule's end it stays 0.
  void set_lr(double epochs) {
    if (options_.lr_schedule != "cosine") return;
    const double progress = std::min(1.0, epochs / double(options_.schedule_epochs));
    const double lr = 0.5 * hyper_.lr * (1.0 + std::cos(M_PI * progress));
    for (auto& group : opt_->param_groups()) static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
  }

  const data::Splits& data_;
  ImageClassifierOptions options_;
  Hyper hyper_;
  uint64_t seed_;
  run::Checkpointer checkpointer_;
  at::Generator generator_;  // dropout masks, reseeded every epoch
  torch::nn::Sequential net_{nullptr};
  std::unique_ptr<torch::optim::SGD> opt_;
  std::vector<EpochMetrics> history_;
};

class ImageClassifier : public Objective {
 public:
  explicit ImageClassifier(const Config& section) : options_(read_options<ImageClassifierOptions>(section)) {
    const auto device = parse_device(options_.device);
    with_context(section.origin() + ": " + section.path("dataset"), [&] {
      data_ = data::load_dataset(options_.dataset, data::data_dir_for(options_.dataset, options_.data_dir),
                                 {options_.validation_size, options_.train_size})
                  .to(device);
    });
  }

  SearchSpace default_space() const override {
    SearchSpace space;
    auto numeric = [&](const char* name, Param::Kind kind, double low, double high, bool log, nlohmann::json initial) {
      Param p;
      p.name = name;
      p.kind = kind;
      p.low = low;
      p.high = high;
      p.log = log;
      p.initial = initial;
      space.add(p);
    };
    numeric("lr", Param::Kind::kFloat, 1e-3, 1.0, true, 0.05);
    numeric("momentum", Param::Kind::kFloat, 0.0, 0.99, false, 0.9);
    numeric("weight_decay", Param::Kind::kFloat, 1e-6, 1e-2, true, 1e-5);
    numeric("width", Param::Kind::kInt, 16, 512, true, 256);
    numeric("depth", Param::Kind::kInt, 1, 3, false, 2);
    numeric("dropout", Param::Kind::kFloat, 0.0, 0.5, false, 0.0);
    Param batch;
    batch.name = "batch_size";
    batch.kind = Param::Kind::kCategorical;
    batch.choices = {32, 64, 128, 256};
    batch.initial = 128;
    space.add(batch);
    return space;
  }

  std::unique_ptr<TrialRun> open(const Assignment& config, uint64_t seed, const std::string& checkpoint) override {
    return std::make_unique<ImageRun>(data_, options_, config, seed, checkpoint);
  }

 private:
  ImageClassifierOptions options_;
  data::Splits data_;
};

const Registrar<ObjectiveRegistry> image_classifier_registration(
    "image_classifier", [](const Config& c) { return std::make_unique<ImageClassifier>(c); },
    variant_doc<ImageClassifierOptions>("an MLP or CNN trained by SGD on a registered image data set, one epoch per "
                                        "resource unit"));

}  // namespace
}  // namespace metaevo::hpo
