#include "metaevo/core/runtime.h"

#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>
#include <dlfcn.h>
#include <malloc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <thread>

#include "metaevo/core/error.h"
#include "metaevo/core/options.h"

namespace metaevo {
namespace {

// OpenBLAS is reached through the BLAS alternative LibTorch links; its controls are looked up at
// run time so that another BLAS still works (and is reported as unknown).
template <typename Fn>
Fn blas_symbol(const char* name) {
  return reinterpret_cast<Fn>(::dlsym(RTLD_DEFAULT, name));
}

#if TORCH_VERSION_MAJOR < 2
// Tensors of 32 MiB or more start on a 2 MiB boundary and ask for transparent huge pages (the
// kernel's default policy is "madvise"). Every first touch of a 4 KiB page is a fault, and on
// virtualised hosts faults are slow: preparing MNIST's 70k images for a muNet task took 2.6-2.8 s,
// 1.4-1.7 s with huge pages. Smaller tensors (a training step's, reused from the heap) keep
// LibTorch's path: advising every tensor of 2 MiB or more raised the float32 peak of an mlo
// program by a sixth. PyTorch 2.3+ advises from 2 MiB when THP_MEM_ALLOC_ENABLE is set.
class HugePageCpuAllocator final : public c10::Allocator {
 public:
  static constexpr size_t kHugePage = size_t(2) << 20, kThreshold = size_t(32) << 20;

  c10::DataPtr allocate(size_t bytes) const override {
    void* data = nullptr;
    if (bytes < kThreshold) {
      data = c10::alloc_cpu(bytes);
    } else {
      if (::posix_memalign(&data, kHugePage, bytes) != 0)
        fail("out of memory: cannot allocate {:.1f} MiB for a tensor", double(bytes) / (1 << 20));
      ::madvise(data, bytes / kHugePage * kHugePage, MADV_HUGEPAGE);  // a hint: refusal costs only speed
    }
    return {data, data, &c10::free_cpu, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &c10::free_cpu; }
};
#endif

}  // namespace

int configure_threads(int threads) {
  if (threads < 0) fail("threads: must be >= 0 (0 = all cores), got {}", threads);
  if (threads == 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);
  if (auto set = blas_symbol<void (*)(int)>("openblas_set_num_threads")) set(1);
  return at::get_num_threads();
}

SingleThreadedBlas::SingleThreadedBlas() {
  auto get = blas_symbol<int (*)()>("openblas_get_num_threads");
  auto set = blas_symbol<void (*)(int)>("openblas_set_num_threads");
  if (!get || !set) return;
  previous_ = get();
  set(1);
}

SingleThreadedBlas::~SingleThreadedBlas() {
  if (previous_ > 0) blas_symbol<void (*)(int)>("openblas_set_num_threads")(previous_);
}

void configure_allocator() {
  // No block is mmapped: glibc caps the mmap threshold at 32 MiB, and larger blocks are common
  // (one conv layer's activations on a 20-way episode are 64 MB); each was a fresh mapping that
  // page-faulted on first touch. A 20-way 1-shot ProtoNet test ran 3.4x faster without them.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 64 << 20);
  const char* setting = std::getenv("METAEVO_HUGE_PAGES");
  const std::string huge = setting ? setting : "on";
  if (huge != "on" && huge != "off") fail("METAEVO_HUGE_PAGES: expected on or off, got '{}'", huge);
  if (huge == "off") return;
#if TORCH_VERSION_MAJOR < 2
  static HugePageCpuAllocator huge_pages;
  c10::SetCPUAllocator(&huge_pages, /*priority=*/1);
#else
  ::setenv("THP_MEM_ALLOC_ENABLE", "1", 0);
#endif
}

std::string describe_runtime() {
  std::string blas = "BLAS: not OpenBLAS (unknown)";
  if (auto config = blas_symbol<char* (*)()>("openblas_get_config")) {
    blas = std::string("BLAS: ") + config();
    if (auto n = blas_symbol<int (*)()>("openblas_get_num_threads")) blas += fmt::format(" threads={}", n());
  }
  return fmt::format("{} | torch {} intra-op threads={} | cuda={}", blas, TORCH_VERSION, at::get_num_threads(),
                     torch::cuda::is_available() ? "available" : "no");
}

torch::Device parse_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available()) fail("device: '{}' requested but CUDA is not available", name);
    try {
      return torch::Device(name);
    } catch (const c10::Error&) {
      fail("device: cannot parse '{}' (expected cpu, cuda or cuda:N)", name);
    }
  }
  fail("device: unknown device '{}' (expected cpu, cuda or cuda:N)", name);
}

void require_device(const std::string& device) {
  try {
    parse_device(device);
  } catch (const Error& e) {
    throw OptionError("device", e.what());
  }
}

double machine_memory_bytes() { return double(::sysconf(_SC_PHYS_PAGES)) * double(::sysconf(_SC_PAGESIZE)); }

void check_fits_in_memory(double bytes, const std::string& what, const std::string& estimate) {
  const double gib = 1024.0 * 1024.0 * 1024.0, machine = machine_memory_bytes();
  if (bytes > machine)
    fail("{}: needs about {:.1f} GiB ({}), more than this machine's {:.1f} GiB of memory", what, bytes / gib, estimate,
         machine / gib);
}

double peak_rss_mb() {
  // VmHWM is the high-water mark of this address space, which reset_peak_rss can lower;
  // getrusage's maximum also counts the process image before main()'s re-exec.
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;  // kB
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

bool reset_peak_rss() {
  // Freed memory is kept in the process (configure_allocator) and would be reused unseen.
  ::malloc_trim(0);
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return bool(clear);
}

double current_rss_mb() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return double(pages_resident) * double(::sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

}  // namespace metaevo
