# `cmake --install build --prefix P` puts the library (shared and static), the headers, the CLI,
# the report scripts and a CMake package in P; `cpack --config build/CPackConfig.cmake` makes a
# .deb of the same. A user project then does
#   find_package(metaevo REQUIRED)
#   target_link_libraries(app PRIVATE metaevo::metaevo)          # or metaevo::metaevo_static
# docs/library.md lists the public headers; every header is installed (they include the others).
include(CMakePackageConfigHelpers)

install(TARGETS metaevo_shared metaevo_static EXPORT metaevoTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS metaevo_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/src/metaevo/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/metaevo
  FILES_MATCHING PATTERN "*.h")
# The Vega scripts reports inline (fetched by scripts/setup.sh; without them reports say so).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/data/web/ DESTINATION ${CMAKE_INSTALL_DATADIR}/metaevo/web
  FILES_MATCHING PATTERN "*.js")

set(METAEVO_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/metaevo)
install(EXPORT metaevoTargets NAMESPACE metaevo:: DESTINATION ${METAEVO_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/metaevoConfig.cmake.in
  ${PROJECT_BINARY_DIR}/metaevoConfig.cmake INSTALL_DESTINATION ${METAEVO_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/metaevoConfigVersion.cmake COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/metaevoConfig.cmake ${PROJECT_BINARY_DIR}/metaevoConfigVersion.cmake
  ${CMAKE_CURRENT_LIST_DIR}/FindLibZip.cmake DESTINATION ${METAEVO_CMAKE_DIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME metaevo)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "metaevo developers <metaevo@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
  "Evolution strategies, evolutionary multitask systems, tuning and multilevel optimization on LibTorch")
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
# What the headers and the static library need at build time, and the CLI at run time.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libtorch-dev (>= 1.13), libopenblas0-pthread, nlohmann-json3-dev, \
libyaml-cpp-dev, libfmt-dev, libspdlog-dev, libsqlitecpp-dev, libsqlite3-dev, libzip-dev, libpng-dev, \
zlib1g-dev, cmake (>= 3.24)")
if(METAEVO_POSTGRES)
  string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", libpqxx-dev, pkg-config")
endif()
if(METAEVO_MPI)
  string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", libopenmpi-dev")
endif()
if(METAEVO_PYTHON)
  string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", python3-torch")
endif()
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
include(CPack)
