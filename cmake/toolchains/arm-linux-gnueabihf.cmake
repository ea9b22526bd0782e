# Cross-building the device SDK for Debian's armhf (`arm-linux-gnueabihf`); the rest is debian-cross.cmake.
#   cmake -S . -B build-armhf -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/arm-linux-gnueabihf.cmake \
#         -DKITE_BUILD_SERVER=OFF -DKITE_BUILD_TOOLS=OFF
#   ctest --test-dir build-armhf   # the SDK's unit tests, under qemu-user; tests/cross/run: more
set(KITE_CROSS_TRIPLE arm-linux-gnueabihf)
set(KITE_CROSS_PROCESSOR arm)
include(${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake)
