# Read by cpack (CPACK_PROJECT_CONFIG_FILE): Debian packages only from a /usr build, since the
# unit, kited.toml and the maintainer scripts were configured with the build's prefix.
if(CPACK_GENERATOR STREQUAL "DEB" AND NOT CPACK_PACKAGING_INSTALL_PREFIX STREQUAL "/usr")
  message(FATAL_ERROR "Debian packages need a build configured with -DCMAKE_INSTALL_PREFIX=/usr "
                      "(this one has ${CPACK_PACKAGING_INSTALL_PREFIX})")
endif()
