// Two different checks, never mixed:
//  - bad input from outside (arguments, maps, frames) throws std::invalid_argument with a
//    message naming what and where: use ILRS_THROW_IF_NOT;
//  - a broken internal assumption is a bug, and aborts with file and line: use ILRS_ASSERT.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace ilrs::internal {

[[noreturn]] inline void AssertionFailed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "ilrs: internal assertion failed: %s at %s:%d\n", condition, file, line);
  std::abort();
}

}  // namespace ilrs::internal

#define ILRS_ASSERT(condition)                                                \
  do {                                                                        \
    if (!(condition)) ::ilrs::internal::AssertionFailed(#condition, __FILE__, __LINE__); \
  } while (false)

#define ILRS_THROW_IF_NOT(condition, message)                  \
  do {                                                         \
    if (!(condition)) throw std::invalid_argument(message);    \
  } while (false)
