#include "metaevo/mlo/data_parallel.h"

namespace metaevo::mlo {
namespace {

/// x (float32 on the CPU) summed over processes.
torch::Tensor summed_over(const torch::Tensor& x, dist::Communicator& comm) {
  auto buffer = x.detach().clone().contiguous();
  comm.all_reduce_sum(buffer.data_ptr<float>(), buffer.numel());
  return buffer;
}

/// The differentiable sum: the backward of a sum over processes is the same sum of the incoming
/// gradients, itself differentiable so second-order graphs (an unroll, a Hessian-vector product)
/// go through it.
struct SumOverProcesses : torch::autograd::Function<SumOverProcesses> {
  static torch::Tensor forward(torch::autograd::AutogradContext* context, const torch::Tensor& x, int64_t comm) {
    context->saved_data["comm"] = comm;
    return summed_over(x, *reinterpret_cast<dist::Communicator*>(comm));
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* context,
                                                 torch::autograd::variable_list grad) {
    return {SumOverProcesses::apply(grad[0], context->saved_data["comm"].toInt()), torch::Tensor()};
  }
};

}  // namespace

DataParallel::DataParallel(dist::Communicator& comm, bool split) : comm_(&comm), split_(split && comm.size() > 1) {}

torch::Tensor DataParallel::share(const torch::Tensor& batch) const {
  if (shares() == 1) return batch;
  const int64_t n = batch.size(0), r = rank(), s = shares();
  return batch.narrow(0, n * r / s, n * (r + 1) / s - n * r / s);
}

torch::Tensor DataParallel::mean(const torch::Tensor& per_example_of_share, int64_t global_size) const {
  if (shares() == 1) return per_example_of_share.mean();
  return per_example_of_share.sum() / double(global_size);
}

torch::Tensor DataParallel::once(const torch::Tensor& term) const {
  return shares() == 1 || rank() == 0 ? term : term * 0;
}

torch::Tensor DataParallel::sum(const torch::Tensor& x) const {
  if (shares() == 1) return x;
  // The sum's node takes and gives CPU tensors, so its backward runs on the calling thread: MPI
  // is initialised for the main thread only, and a CUDA node would run on autograd's device thread.
  return SumOverProcesses::apply(x.to(torch::kCPU, torch::kFloat32), reinterpret_cast<int64_t>(comm_)).to(x.options());
}

Params DataParallel::all_reduce(const Params& terms, bool differentiable) const {
  if (shares() == 1 || terms.empty()) return terms;
  std::vector<torch::Tensor> flat;
  for (const auto& t : terms) flat.push_back(t.reshape(-1).to(torch::kCPU, torch::kFloat32));
  // One message. Out of the graph, cat's fresh buffer is summed in place.
  auto joined = torch::cat(flat);
  if (differentiable) {
    joined = SumOverProcesses::apply(joined, reinterpret_cast<int64_t>(comm_));
  } else {
    joined = joined.detach();
    comm_->all_reduce_sum(joined.data_ptr<float>(), joined.numel());
  }
  Params out;
  int64_t at = 0;
  for (const auto& t : terms) {
    out.push_back(joined.narrow(0, at, t.numel()).view(t.sizes()).to(t.options()));
    at += t.numel();
  }
  return out;
}

}  // namespace metaevo::mlo
