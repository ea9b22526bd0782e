# What both ARM toolchain files share: Debian's cross compiler for KITE_CROSS_TRIPLE and the
# target's multiarch packages (docs/sdk.md, "Cross-building for ARM"). Included by
# aarch64-linux-gnu.cmake and arm-linux-gnueabihf.cmake after they set the triple and the
# processor.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${KITE_CROSS_PROCESSOR})
set(CMAKE_C_COMPILER ${KITE_CROSS_TRIPLE}-gcc)
set(CMAKE_CXX_COMPILER ${KITE_CROSS_TRIPLE}-g++)
set(CMAKE_LIBRARY_ARCHITECTURE ${KITE_CROSS_TRIPLE})
# The target's libraries and pkg-config files come from its multiarch folders (found through
# CMAKE_LIBRARY_ARCHITECTURE, hence BOTH); headers are shared by Debian's multiarch packages, and
# programs (flatc) are the host's, run at build time.
set(CMAKE_FIND_ROOT_PATH /usr/${KITE_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/${KITE_CROSS_TRIPLE}/pkgconfig:/usr/share/pkgconfig)
set(ENV{PKG_CONFIG_PATH} "")
# Tools that run what was built (try_run, tests) go through qemu-user, with the target's
# multiarch loader and libraries (libstdc++6:<arch> installed). Not `-L /usr/<triple>`: that
# mixes the cross toolchain's own glibc with the multiarch one the dependencies pull in, and the
# program hangs at start.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-${KITE_CROSS_PROCESSOR})
