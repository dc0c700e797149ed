// Counts the heap allocations of the test binary (global operator new is replaced in
// allocation_counter.cpp), so a test can check that a call makes none.
#pragma once

namespace ilrs::testing {

// Number of operator new calls so far in this process.
long AllocationCount();

}  // namespace ilrs::testing
