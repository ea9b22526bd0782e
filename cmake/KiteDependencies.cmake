# Third-party libraries, all from Debian's packages (tools/dev/setup installs them).
find_package(PkgConfig REQUIRED)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd>=1.5)
# The protocol core's cryptography (HMAC-SHA256, random bytes, constant-time compare): libsodium,
# whose process-wide state is a few bytes where OpenSSL 3's first use costs the device 288 KiB.
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium>=1.0.18)
# OpenSSL stays for the server (SHA-256 of bearer tokens), one test's independent HMAC, and TLS
# (protocol/tls: libssl over memory BIOs). An SDK built without TLS needs none of it.
if(KITE_SDK_TLS)
  find_package(OpenSSL 3.0 REQUIRED COMPONENTS Crypto SSL)
endif()

find_program(FLATC flatc REQUIRED)
find_path(FLATBUFFERS_INCLUDE_DIR flatbuffers/flatbuffers.h REQUIRED)
add_library(kite_flatbuffers INTERFACE)
target_include_directories(kite_flatbuffers SYSTEM INTERFACE ${FLATBUFFERS_INCLUDE_DIR})

# flatbuffers_generate(<target> <schema.fbs>): generate C++ into the build tree at build time.
function(kite_flatbuffers_generate target schema)
  get_filename_component(name ${schema} NAME_WE)
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/generated/kite/wire)
  set(header ${out_dir}/${name}_generated.h)
  add_custom_command(
    OUTPUT ${header}
    COMMAND ${FLATC} --cpp --scoped-enums -o ${out_dir} ${schema}
    DEPENDS ${schema}
    COMMENT "flatc: generating ${name}_generated.h")
  add_custom_target(${target}_codegen DEPENDS ${header})
  add_library(${target} INTERFACE)
  add_dependencies(${target} ${target}_codegen)
  target_include_directories(${target} INTERFACE ${CMAKE_CURRENT_BINARY_DIR}/generated)
  target_link_libraries(${target} INTERFACE kite_flatbuffers)
endfunction()

# The SDK, the server and the tool: libuv for their I/O.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBUV REQUIRED IMPORTED_TARGET libuv>=1.44)

# The server and the tool: command lines, JSON and text formatting.
if(KITE_BUILD_SERVER OR KITE_BUILD_TOOLS)
  find_package(CLI11 REQUIRED CONFIG)
  find_package(nlohmann_json REQUIRED CONFIG)
  find_package(fmt REQUIRED CONFIG)
endif()

# The server alone.
if(KITE_BUILD_SERVER)
  find_package(RocksDB REQUIRED CONFIG)
  # The Redis store (server/store/redis/): hiredis, blocking calls from the store's threads.
  pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis>=0.14)
  find_package(tomlplusplus REQUIRED CONFIG)
  find_path(HTTP_PARSER_INCLUDE_DIR http_parser.h REQUIRED)
  find_library(HTTP_PARSER_LIBRARY http_parser REQUIRED)
  add_library(kite_http_parser INTERFACE)
  target_include_directories(kite_http_parser SYSTEM INTERFACE ${HTTP_PARSER_INCLUDE_DIR})
  target_link_libraries(kite_http_parser INTERFACE ${HTTP_PARSER_LIBRARY})
endif()

if(KITE_TESTS)
  find_path(DOCTEST_INCLUDE_DIR doctest/doctest.h REQUIRED)
endif()
if(KITE_TESTS AND KITE_BENCHMARKS AND NOT KITE_TESTS_SDK_ONLY)  # the benchmarks: tests/bench/
  find_package(benchmark REQUIRED)
endif()
