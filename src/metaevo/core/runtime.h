#pragma once
// Process-wide compute settings: threads (LibTorch defaults to one here), BLAS, device.
#include <torch/torch.h>

#include <string>

namespace metaevo {

/// Sets LibTorch's intra-op threads to `threads` (0 = all cores) and holds OpenBLAS at one thread;
/// returns the number in effect. OpenBLAS splits a product's sums differently on different thread
/// counts, so with its own pool results would depend on `threads`; and its pthreads compete with
/// LibTorch's OpenMP threads for the same cores (a Ti3 ViT training step on 2 cores: 216 ms with
/// OpenBLAS on 2 threads, 115-131 ms on 1). LibTorch's threads parallelise elementwise work,
/// reductions, convolutions and batched products, and ES evaluates members in parallel chunks.
int configure_threads(int threads);

/// Holds OpenBLAS at one thread while alive, for code that parallelises over independent work
/// items itself (OpenBLAS's pthread pool does not nest inside OpenMP regions: two callers each
/// asking for all cores oversubscribe them), also when the library is used without
/// configure_threads. Restores the previous count on destruction.
class SingleThreadedBlas {
 public:
  SingleThreadedBlas();
  ~SingleThreadedBlas();
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;

 private:
  int previous_ = 0;
};

/// Keeps freed memory in the process: ES allocates and frees the same large temporaries every
/// chunk, and glibc's default of returning them to the OS (mmap/trim) made every allocation page
/// fault — measured 12x slower on the low-rank MLP benchmark. Tensors of 32 MiB or more are backed
/// by transparent huge pages, which fault 512x less often (LibTorch's CPU allocator is replaced),
/// unless METAEVO_HUGE_PAGES=off; any other value than on or off is an Error.
void configure_allocator();

/// One line describing BLAS and threading, e.g. "OpenBLAS 0.3.21 ... | torch threads 2".
std::string describe_runtime();

/// "cpu" or "cuda[:N]"; an Error for anything else or when CUDA is unavailable.
torch::Device parse_device(const std::string& name);
/// parse_device for an options struct's validate(): its Error as an OptionError on key `device`.
void require_device(const std::string& device);

/// Physical memory of this machine, in bytes.
double machine_memory_bytes();
/// Refuses a plan that would not fit in memory, before anything is allocated: an Error naming
/// `what` (the setting responsible) with the estimate, when `bytes` exceeds the machine's memory.
void check_fits_in_memory(double bytes, const std::string& what, const std::string& estimate);

/// Peak resident set size of this process in MiB (since start, or since reset_peak_rss).
double peak_rss_mb();
/// Returns freed heap memory to the system and restarts the peak at the current resident size,
/// so a later peak_rss_mb measures one phase (Linux >= 4.0); false where that is unsupported.
bool reset_peak_rss();
/// Resident set size of this process now, in MiB (from /proc/self/statm).
double current_rss_mb();

}  // namespace metaevo
