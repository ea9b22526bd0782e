# Sanitizer and fuzzing switches. They apply to the whole build so that every object, the
# protocol core included, is instrumented the same way.
if(KITE_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()

if(KITE_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "KITE_FUZZ needs clang: configure with -DCMAKE_CXX_COMPILER=clang++ "
                        "-DCMAKE_C_COMPILER=clang")
  endif()
  # Every object is built with the sanitizers, so the tests run under them too. Coverage, what
  # libFuzzer steers by, goes only into the libraries the fuzz targets feed (tests/fuzz calls
  # kite_fuzz_coverage): the tools and tests compile and run faster without it. Only the fuzz
  # targets link the libFuzzer main.
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

# kite_fuzz_coverage([OPTIMIZED] target...): coverage instrumentation for these targets; with
# OPTIMIZED also -O1 (over the build's -O0), where fuzzing speed is won: at -O0 every std::span
# and std::vector accessor is an instrumented call, and the session targets ran ~250 inputs/s.
function(kite_fuzz_coverage)
  set(options -fsanitize=fuzzer-no-link)
  set(targets ${ARGN})
  if(ARGV0 STREQUAL "OPTIMIZED")
    list(APPEND options -O1)
    list(REMOVE_AT targets 0)
  endif()
  foreach(target IN LISTS targets)
    target_compile_options(${target} PRIVATE ${options})
  endforeach()
endfunction()
