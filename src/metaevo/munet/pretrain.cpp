#include "metaevo/munet/pretrain.h"

#include <limits>

#include "metaevo/run/progress.h"

namespace metaevo::munet {

void PretrainOptions::validate() const {
  require(from.empty() || task.empty(), "from", "give either from or task, not both");
  require(validations >= 1, "validations", "must be >= 1, got {}", validations);
  require(batches_between_validations >= 1, "batches_between_validations", "must be >= 1, got {}",
          batches_between_validations);
  require(learning_rate > 0, "learning_rate", "must be > 0, got {}", learning_rate);
}

void adopt_root(Population& population, const Population& source, const std::string& origin) {
  METAEVO_CHECK(to_json(source.vit()) == to_json(population.vit()), "{}: its ViT {} is not this system's {}", origin,
                to_json(source.vit()).dump(), to_json(population.vit()).dump());
  METAEVO_CHECK(population.tasks().empty(), "{}: a root can only be adopted before the first task", origin);
  auto root = std::make_shared<Path>(*source.root());
  root->hparams = population.root()->hparams;  // the weights are adopted, the defaults stay this system's
  for (auto& [name, c] : root->components) {
    c = std::make_shared<Component>(c->id(), c->name(), c->tensors());
    c->lock(kRootTask);
  }
  population.restore(root, {}, source.peek_next_id());
}

PretrainResult pretrain_root(Population& population, const data::Splits& source, const PretrainOptions& o,
                             const TrainOptions& train, uint64_t seed) {
  o.validate();
  const auto root = population.root();
  Path model = *root;  // the root's components by reference, the head replaced
  model.task = source.name;
  model.hparams["num_classes"] = source.classes;
  model.hparams["opt_lr"] = o.learning_rate;
  model.components["head"] = std::make_shared<Component>(
      -1, "head", init_component("head", population.vit(), source.classes, 0, seed, population.device()));
  for (auto& [name, c] : root->components) c->unlock(kRootTask);

  TrainOptions t = train;
  t.validations = o.validations;
  t.batches_between_validations = o.batches_between_validations;
  const run::RunClock clock;
  run::Progress line("pretraining validation", o.validations);
  int64_t done = 0;
  // The score is read at every validation: the place to report progress.
  const auto progress = [&](const Path& p) {
    line.update(++done, clock.elapsed_s(), fmt::format("root on {}: accuracy {:.4f}", source.name, p.quality),
                /*force=*/true);
    return p.quality;
  };
  const auto trained =
      train_path(model, source, t, population.vit(), progress, -std::numeric_limits<double>::infinity(), seed);
  for (auto& [name, c] : root->components) c->lock(kRootTask);

  PretrainResult out;
  out.validation_accuracy = trained.quality;
  out.steps = trained.steps;
  out.test_accuracy = evaluate(model, source.test, population.vit(), train.batch_size);
  return out;
}

}  // namespace metaevo::munet
