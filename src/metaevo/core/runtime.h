#pragma once
// Process-wide compute settings: threads (LibTorch defaults to one here), BLAS, device.
#include <torch/torch.h>

#include <string>

namespace metaevo {

/// Sets LibTorch's intra-op threads and OpenBLAS's threads to `threads` (0 = all cores).
/// Returns the number in effect.
int configure_threads(int threads);

/// Keeps freed memory in the process: ES allocates and frees the same large temporaries every
/// chunk, and glibc's default of returning them to the OS (mmap/trim) made every allocation page
/// fault — measured 12x slower on the low-rank MLP benchmark.
void configure_allocator();

/// One line describing BLAS and threading, e.g. "OpenBLAS 0.3.21 ... | torch threads 2".
std::string describe_runtime();

/// "cpu" or "cuda[:N]"; an Error for anything else or when CUDA is unavailable.
torch::Device parse_device(const std::string& name);

/// Peak resident set size of this process in MiB (from getrusage).
double peak_rss_mb();

}  // namespace metaevo
