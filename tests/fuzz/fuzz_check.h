// The fuzz targets' invariant check: a violation aborts, so libFuzzer reports it as a crash
// (with the input that caused it).
#pragma once

#include <cstdlib>

#define KITE_FUZZ_CHECK(condition)  \
  do {                              \
    if (!(condition)) std::abort(); \
  } while (0)
