# Debian packages with CPack, one per install component (cmake/KiteInstall.cmake):
#   kited               the server, its systemd unit, /etc/kite/kited.toml, the kite user
#   kite-tools          the kite tool, its man pages, the Wireshark dissector
#   libkite-client-dev  the device SDK: archives, headers, CMake package, pkg-config files
# Build them from a tree configured with -DCMAKE_INSTALL_PREFIX=/usr (the unit, the config and
# the maintainer scripts name /usr/bin/kited, /etc/kite and /var/lib/kite):
#   cmake -S . -B build -G Ninja -DCMAKE_INSTALL_PREFIX=/usr && ninja -C build && \
#   (cd build && cpack)
# Dependencies come from dpkg-shlibdeps; the maintainer scripts are in cmake/debian/.
set(kite_components)
foreach(component_option server:KITE_BUILD_SERVER tools:KITE_BUILD_TOOLS sdk:KITE_BUILD_SDK)
  string(REPLACE ":" ";" pair ${component_option})
  list(GET pair 0 component)
  list(GET pair 1 option)
  if(${option})
    list(APPEND kite_components ${component})
  endif()
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME kite)
set(CPACK_PACKAGE_VENDOR "Kite")
set(CPACK_PACKAGE_CONTACT "Kite maintainers <maintainers@kite.invalid>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_PACKAGE_DIRECTORY ${PROJECT_BINARY_DIR}/packages)  # or cpack -B DIR
set(CPACK_COMPONENTS_ALL ${kite_components})
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)
# Checked when cpack runs: packages made under another prefix would name the wrong paths.
set(CPACK_PROJECT_CONFIG_FILE ${PROJECT_SOURCE_DIR}/cmake/KitePackagingCheck.cmake)

set(kite_debian ${PROJECT_SOURCE_DIR}/cmake/debian)  # <package>/<maintainer script>
set(CPACK_DEBIAN_SERVER_PACKAGE_NAME kited)
set(CPACK_DEBIAN_SERVER_PACKAGE_SECTION net)
set(CPACK_DEBIAN_SERVER_PACKAGE_DEPENDS "passwd, init-system-helpers")
set(CPACK_DEBIAN_SERVER_PACKAGE_RECOMMENDS "openssl")  # what the postinst's advice uses
# Descriptions: the first line is the synopsis, the rest the extended text (one string each).
set(CPACK_DEBIAN_SERVER_DESCRIPTION "Kite push server
Devices dial out once and keep one connection; backends reach any of them through kited's HTTP \
API, with durable queues and end-to-end receipts.")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA
    ${kite_debian}/kited/postinst ${kite_debian}/kited/prerm ${kite_debian}/kited/postrm
    ${kite_debian}/kited/conffiles)
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

set(CPACK_DEBIAN_TOOLS_PACKAGE_NAME kite-tools)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SECTION net)
set(CPACK_DEBIAN_TOOLS_PACKAGE_SUGGESTS "tshark | wireshark")
set(CPACK_DEBIAN_TOOLS_DESCRIPTION "Kite command-line tool and Wireshark dissector
kite sends to devices, follows their events, acts as a device, makes keys, decodes and replays \
recordings and measures a Kite server.")

set(CPACK_DEBIAN_SDK_PACKAGE_NAME libkite-client-dev)
set(CPACK_DEBIAN_SDK_PACKAGE_SECTION libdevel)
# A static library: what its users link comes with it.
set(kite_sdk_depends "libuv1-dev, libsodium-dev, libzstd-dev, pkg-config")
if(KITE_SDK_TLS)
  string(APPEND kite_sdk_depends ", libssl-dev")
endif()
set(CPACK_DEBIAN_SDK_PACKAGE_DEPENDS ${kite_sdk_depends})
set(CPACK_DEBIAN_SDK_DESCRIPTION "Kite device SDK (static libraries and headers)
kite::Client connects a device to kited and keeps it connected; kite::LowLevelClient is the same \
without I/O, for an application's own loop. CMake package Kite (Kite::client) and pkg-config \
module kite-client.")

include(CPack)
