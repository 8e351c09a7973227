#pragma once
// The tasks a multitask system can learn, by name: "mnist", "fashion-mnist",
// "omniglot:<Alphabet>" (classify one alphabet's characters; each character's 20 drawers split
// 14 / 3 / 3 into train / validation / test), "omniglot-set:background|evaluation" (all characters
// of one official set, same split: a source task for pretraining), "mnist-rot:<degrees>" and "mnist-perm:<seed>"
// (rotated and pixel-permuted MNIST). Images are padded to 32 x 32 and scaled to [-1, 1]. Adding a
// task type is one registration: a name prefix and a loader.
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "metaevo/core/registry.h"

namespace metaevo::munet {

struct TaskSplit {
  torch::Tensor x, y;  // float32 [N, 1, 32, 32] in [-1, 1]; int64 [N]
  int64_t size() const { return x.size(0); }
  TaskSplit to(torch::Device device) const { return {x.to(device), y.to(device)}; }
};

struct TaskData {
  std::string name;
  TaskSplit train, valid, test;
  int64_t classes = 0;
  /// The task with every split on `device` (the system's device: batches are drawn there).
  TaskData to(torch::Device device) const {
    return {name, train.to(device), valid.to(device), test.to(device), classes};
  }
};

/// Where the data sets are (empty = the standard places, see data::resolve_data_dir).
struct DataDirs {
  std::string mnist, fashion_mnist, omniglot;
};

class TaskType {
 public:
  virtual ~TaskType() = default;
  /// The task named `prefix` or `prefix:argument`.
  virtual TaskData load(const std::string& argument, const DataDirs& dirs) const = 0;
  /// Every task of this type that the data on disk offers (e.g. one per Omniglot alphabet).
  virtual std::vector<std::string> available(const DataDirs& dirs) const = 0;
  /// Refuses an argument this type cannot take, without reading any data.
  virtual void check(const std::string& argument) const {}
  /// Refuses data that is not where `dirs` points (the folder only: nothing is read).
  virtual void check_data(const DataDirs& dirs) const = 0;
};

using TaskRegistry = Registry<TaskType>;

/// The task `name` ("type" or "type:argument"); an Error naming it if unknown or its data is absent.
TaskData load_task(const std::string& name, const DataDirs& dirs);

/// Checks `name` without loading data: a registered type and an argument it takes; an Error naming
/// the task (and the valid types) otherwise. Commands call it before any expensive work.
void check_task_name(const std::string& name);
/// Checks that the data folder of task `name` is in place, without reading it.
void check_task_data(const std::string& name, const DataDirs& dirs);

/// [N, 1, 28, 28] in [0, 1] -> [N, 1, 32, 32] in [-1, 1].
torch::Tensor to_task_images(const torch::Tensor& images);

}  // namespace metaevo::munet
