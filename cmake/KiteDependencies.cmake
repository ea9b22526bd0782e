# Third-party libraries, all from Debian's packages (tools/dev/setup installs them).
find_package(OpenSSL 3.0 REQUIRED COMPONENTS Crypto)
find_package(PkgConfig REQUIRED)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd>=1.5)

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

if(KITE_TESTS)
  find_path(DOCTEST_INCLUDE_DIR doctest/doctest.h REQUIRED)
endif()
if(KITE_BENCHMARKS)
  find_package(benchmark REQUIRED)
endif()
