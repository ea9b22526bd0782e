# What `cmake --install` puts where (GNU directories under CMAKE_INSTALL_PREFIX), in three
# components that are also the Debian packages (cmake/KitePackaging.cmake):
#   server: kited, its systemd unit, its man page                          -> package kited
#   tools:  the kite tool, its man pages, the Wireshark dissector          -> package kite-tools
#   sdk:    the device SDK's archives and headers, the CMake package and
#           the pkg-config files                                           -> libkite-client-dev
# docs/install.md is the user's side of this file.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Wireshark loads Lua dissectors from its global plugin folder (`tshark -G folders`, "Global Lua
# Plugins": /usr/lib/<multiarch>/wireshark/plugins on Debian). Under another prefix it finds
# them only when linked from ~/.local/lib/wireshark/plugins.
set(KITE_WIRESHARK_PLUGIN_DIR "${CMAKE_INSTALL_LIBDIR}/wireshark/plugins"
    CACHE STRING "Where the Wireshark dissector is installed (relative to the prefix)")

# kited's configuration and state: /etc/kite and /var/lib/kite under /usr (the packages), else
# under the prefix (/usr/local/etc/kite, /usr/local/var/lib/kite). The unit and kited.toml name
# these paths of the configured prefix; `cmake --install --prefix` elsewhere does not change them.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(KITE_CONFIG_DIR /etc/kite)
  set(KITE_CONFIG_DESTINATION /etc/kite)
  set(KITE_STATE_DIR /var/lib/kite)
else()
  set(KITE_CONFIG_DIR ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SYSCONFDIR}/kite)
  set(KITE_CONFIG_DESTINATION ${CMAKE_INSTALL_SYSCONFDIR}/kite)
  set(KITE_STATE_DIR ${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LOCALSTATEDIR}/lib/kite)
endif()
if(KITE_BUILD_SERVER)
  install(TARGETS kited RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT server)
  # The unit names the installed binary and files; the Debian package's maintainer scripts make
  # its user and folders (cmake/debian/). Under another prefix it is there for the operator.
  set(KITE_BINDIR ${CMAKE_INSTALL_FULL_BINDIR})
  configure_file(${PROJECT_SOURCE_DIR}/server/kited.service.in
                 ${PROJECT_BINARY_DIR}/kited.service @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/kited.service DESTINATION lib/systemd/system
          COMPONENT server)
endif()
# kited.toml: every key with its production default, from kited itself, so that it cannot drift
# from the code. The secrets are the operator's to give (docs/install.md). Made by running
# kited: not in the sanitizer builds, which are never installed.
if(KITE_BUILD_SERVER AND NOT (KITE_SANITIZE OR KITE_FUZZ))
  set(kited_toml ${PROJECT_BINARY_DIR}/kited.toml)
  add_custom_command(OUTPUT ${kited_toml}
    COMMAND kited --print-default-config --mode production --data-dir ${KITE_STATE_DIR}
            --device-listen 0.0.0.0:7000 --device-listen [::]:7000
            --set auth.master_key_file=${KITE_CONFIG_DIR}/master.key > ${kited_toml}
    DEPENDS kited COMMENT "kited --print-default-config --mode production > kited.toml")
  add_custom_target(kite_installed_config ALL DEPENDS ${kited_toml})
  install(FILES ${kited_toml} DESTINATION ${KITE_CONFIG_DESTINATION} COMPONENT server)
endif()

if(KITE_BUILD_TOOLS)
  install(TARGETS kite RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT tools)
  install(FILES ${PROJECT_SOURCE_DIR}/tools/wireshark/kite.lua
          DESTINATION ${KITE_WIRESHARK_PLUGIN_DIR} COMPONENT tools)
endif()

include(KiteManPages)

# The documents each package's user reads, under /usr/share/doc/<package>.
function(kite_install_docs component package)
  list(TRANSFORM ARGN PREPEND ${PROJECT_SOURCE_DIR}/docs/)
  install(FILES ${ARGN} DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${package}
          COMPONENT ${component})
endfunction()
if(KITE_BUILD_SERVER)
  kite_install_docs(server kited install.md server.md api.md limits.md security.md webhooks.md
                    cluster.md recording.md CHANGELOG.md)
endif()
if(KITE_BUILD_TOOLS)
  kite_install_docs(tools kite-tools cli.md recording.md CHANGELOG.md)
endif()

if(NOT KITE_BUILD_SDK)
  return()
endif()

# The SDK installs as two self-contained archives, each with every object it needs from the
# protocol core, TLS and WebSocket layers, so that a device project links one library:
#   libkite-client.a      kite::Client (libuv) and kite::LowLevelClient
#   libkite-client-core.a kite::LowLevelClient alone, no libuv (an application's own loop)
# The build's own finer-grained archives stay internal.
function(kite_sdk_archive target output_name)
  set(objects)
  foreach(part IN LISTS ARGN)
    list(APPEND objects $<TARGET_OBJECTS:${part}>)
  endforeach()
  add_library(${target} STATIC ${objects})
  set_target_properties(${target} PROPERTIES OUTPUT_NAME ${output_name} LINKER_LANGUAGE CXX)
  install(TARGETS ${target} ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT sdk)
endfunction()
kite_sdk_archive(kite_client_archive kite-client kite_client kite_client_core kite_protocol
                 ${KITE_SDK_TRANSPORT})
kite_sdk_archive(kite_client_core_archive kite-client-core kite_client_core kite_protocol
                 ${KITE_SDK_TRANSPORT})

kite_install_docs(sdk libkite-client-dev install.md sdk.md protocol.md CHANGELOG.md)
install(FILES ${PROJECT_SOURCE_DIR}/client-sdk/include/kite/client.h
              ${PROJECT_SOURCE_DIR}/client-sdk/include/kite/low_level_client.h
              ${PROJECT_BINARY_DIR}/protocol/include/kite/version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/kite COMPONENT sdk)

# What a program that links the SDK statically must also link: pkg-config module names (the
# pkg-config files' Requires, and the CMake package's imported targets).
set(KITE_SDK_CORE_REQUIRES "libsodium libzstd")
if(KITE_SDK_TLS)
  string(APPEND KITE_SDK_CORE_REQUIRES " openssl")
endif()
set(KITE_SDK_CLIENT_REQUIRES "libuv ${KITE_SDK_CORE_REQUIRES}")

set(KITE_CMAKE_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Kite)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/KiteConfig.cmake.in
  ${PROJECT_BINARY_DIR}/KiteConfig.cmake INSTALL_DESTINATION ${KITE_CMAKE_PACKAGE_DIR}
  PATH_VARS CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_INCLUDEDIR)
# 0.x: a new minor version may change the SDK's API (docs/install.md, "Upgrading").
write_basic_package_version_file(${PROJECT_BINARY_DIR}/KiteConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/KiteConfig.cmake ${PROJECT_BINARY_DIR}/KiteConfigVersion.cmake
        DESTINATION ${KITE_CMAKE_PACKAGE_DIR} COMPONENT sdk)

file(RELATIVE_PATH KITE_PC_PREFIX ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" KITE_PC_PREFIX "${KITE_PC_PREFIX}")
foreach(module kite-client kite-client-core)
  if(module STREQUAL "kite-client")
    set(KITE_PC_DESCRIPTION "Kite device SDK: kite::Client on libuv, and kite::LowLevelClient")
    set(KITE_PC_REQUIRES ${KITE_SDK_CLIENT_REQUIRES})
  else()
    set(KITE_PC_DESCRIPTION "Kite device SDK without I/O: kite::LowLevelClient for your own loop")
    set(KITE_PC_REQUIRES ${KITE_SDK_CORE_REQUIRES})
  endif()
  set(KITE_PC_LIBRARY ${module})
  configure_file(${PROJECT_SOURCE_DIR}/cmake/kite-client.pc.in
                 ${PROJECT_BINARY_DIR}/${module}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/${module}.pc
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT sdk)
endforeach()
