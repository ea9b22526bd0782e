# Man pages from the programs' --help (help2man, cmake/man-pages): kited(1) in the server
# component, kite(1) and kite-COMMAND(1) in the tools component. They are made by running the
# programs, so not in a cross build, and not in the sanitizer builds (which have no use for
# them); without help2man the build says so and installs none.
if(NOT (KITE_BUILD_SERVER OR KITE_BUILD_TOOLS) OR CMAKE_CROSSCOMPILING OR KITE_SANITIZE OR
   KITE_FUZZ)
  return()
endif()
find_program(KITE_HELP2MAN help2man)
if(NOT KITE_HELP2MAN)
  message(STATUS "help2man not found: no man pages (apt-get install help2man)")
  return()
endif()

set(man_dir ${PROJECT_BINARY_DIR}/man)
set(man_args)
set(man_depends ${PROJECT_SOURCE_DIR}/cmake/man-pages)
if(KITE_BUILD_SERVER)
  list(APPEND man_args --kited $<TARGET_FILE:kited>)
  list(APPEND man_depends kited)
endif()
if(KITE_BUILD_TOOLS)
  list(APPEND man_args --kite $<TARGET_FILE:kite>)
  list(APPEND man_depends kite)
endif()
add_custom_command(OUTPUT ${man_dir}/stamp
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${man_dir}
  COMMAND ${PROJECT_SOURCE_DIR}/cmake/man-pages ${man_dir} ${man_args}
  COMMAND ${CMAKE_COMMAND} -E touch ${man_dir}/stamp
  DEPENDS ${man_depends} COMMENT "help2man: man pages from --help")
add_custom_target(kite_man_pages ALL DEPENDS ${man_dir}/stamp)

if(KITE_BUILD_SERVER)
  install(FILES ${man_dir}/kited.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT server)
endif()
if(KITE_BUILD_TOOLS)
  # The commands are whatever kite --help lists at build time.
  install(DIRECTORY ${man_dir}/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT tools
          FILES_MATCHING PATTERN "kite.1" PATTERN "kite-*.1")
endif()
