// The doctest runner shared by every test binary, compiled once (kite_doctest_main).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
