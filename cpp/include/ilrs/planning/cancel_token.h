// A cancel flag shared between the thread that asked for work and the thread doing it.
// Long loops in the core poll it (cheaply, every few thousand iterations) together with their
// deadline; nothing calls back into Python.
#pragma once

#include <atomic>

namespace ilrs::planning {

class CancelToken {
 public:
  void Cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  void Reset() { cancelled_.store(false, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> cancelled_{false};
};

}  // namespace ilrs::planning
