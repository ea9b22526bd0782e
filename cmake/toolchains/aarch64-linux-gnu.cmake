# Cross-building the device SDK for Debian's arm64 (`aarch64-linux-gnu`); the rest is debian-cross.cmake.
#   cmake -S . -B build-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake \
#         -DKITE_BUILD_SERVER=OFF -DKITE_BUILD_TOOLS=OFF
#   ctest --test-dir build-arm64   # the SDK's unit tests, under qemu-user; tests/cross/run: more
set(KITE_CROSS_TRIPLE aarch64-linux-gnu)
set(KITE_CROSS_PROCESSOR aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
