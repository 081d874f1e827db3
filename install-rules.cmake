# Install rules and Debian packages. `cmake --install` puts the two tools, the static libraries, their headers and
# a relocatable CMake package (find_package(DcganOnednn CONFIG), targets DcganOnednn::<library>) under the prefix;
# `cpack` makes two .deb files of it: the tools, and the development files. The layout is cmake-init's install rules
# (https://github.com/friendlyanon/cmake-init, cmake/install-rules.cmake): one export set, a SameMajorVersion version
# file, an overridable config directory, and a Runtime and a Development component. tests/install checks it end to
# end (install_package).
include(CMakePackageConfigHelpers)
include(GNUInstallDirs)

set(DCGAN_PACKAGE DcganOnednn)
set(DCGAN_RUNTIME_COMPONENT ${DCGAN_PACKAGE}_Runtime)
set(DCGAN_DEVELOPMENT_COMPONENT ${DCGAN_PACKAGE}_Development)
# The Debian packages: the tools, and what a downstream project compiles and links against.
set(DCGAN_DEB_RUNTIME dcgan-onednn)
set(DCGAN_DEB_DEVELOPMENT dcgan-onednn-dev)

# The exported libraries. Their headers keep the include lines of the source tree ("nn/dcgan.hpp",
# "portable_random.hpp", "common/cli.hpp"), under one directory of the project's own so that no generic nn/ or
# pipeline/ lands in /usr/include.
set(DCGAN_LIBRARIES pipeline nn trainer portable_random collectives cli)
set(DCGAN_INSTALL_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}/dcgan_onednn")

# Installed archives carry the project's name: a bare libpipeline.a would sit beside Debian's libpipeline-dev
# (man-db's libpipeline) on the linker's path.
foreach(lib pipeline nn trainer)
  set_target_properties(${lib} PROPERTIES OUTPUT_NAME dcgan_onednn_${lib})
endforeach()

install(TARGETS celeba-pack dcgan-onednn
  RUNTIME COMPONENT ${DCGAN_RUNTIME_COMPONENT})

# Static by default (BUILD_SHARED_LIBS off): then the Development component carries the .a files, and the targets
# carry their PRIVATE dependencies as link-only ones, which DcganOnednnConfig.cmake finds again.
install(TARGETS ${DCGAN_LIBRARIES}
  EXPORT ${DCGAN_PACKAGE}Targets
  RUNTIME COMPONENT ${DCGAN_RUNTIME_COMPONENT}
  LIBRARY COMPONENT ${DCGAN_RUNTIME_COMPONENT} NAMELINK_COMPONENT ${DCGAN_DEVELOPMENT_COMPONENT}
  ARCHIVE COMPONENT ${DCGAN_DEVELOPMENT_COMPONENT}
  INCLUDES DESTINATION ${DCGAN_INSTALL_INCLUDEDIR})
# A stripped install (CPACK_STRIP_FILES, cmake --install --strip) strips the tools; CMake leaves archives alone, so
# their debug sections go here, as Debian's dh_strip --strip-debug does for static libraries.
foreach(lib pipeline nn trainer)
  install(CODE "if(CMAKE_INSTALL_DO_STRIP AND \"$<TARGET_PROPERTY:${lib},TYPE>\" STREQUAL \"STATIC_LIBRARY\")
    execute_process(COMMAND \"${CMAKE_STRIP}\" --strip-debug
      \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/$<TARGET_FILE_NAME:${lib}>\"
      COMMAND_ERROR_IS_FATAL ANY)
  endif()" COMPONENT ${DCGAN_DEVELOPMENT_COMPONENT})
endforeach()

# pipeline/, nn/ and trainer/ are include roots' subfolders ("nn/x.hpp"); nn/random (portable_random) and
# tools/common (cli) are included as "portable_random.hpp" and "common/cli.hpp".
foreach(dir pipeline nn trainer tools/common)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir} DESTINATION ${DCGAN_INSTALL_INCLUDEDIR}
    COMPONENT ${DCGAN_DEVELOPMENT_COMPONENT}
    FILES_MATCHING PATTERN "*.hpp" PATTERN random EXCLUDE)
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/nn/random/portable_random.hpp DESTINATION ${DCGAN_INSTALL_INCLUDEDIR}
  COMPONENT ${DCGAN_DEVELOPMENT_COMPONENT})

# Where the package config goes, relative to the prefix; packagers may move it.
set(DcganOnednn_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/${DCGAN_PACKAGE}"
  CACHE STRING "CMake package config location relative to the install prefix")
set_property(CACHE DcganOnednn_INSTALL_CMAKEDIR PROPERTY TYPE PATH)
mark_as_advanced(DcganOnednn_INSTALL_CMAKEDIR)

configure_package_config_file(${PROJECT_SOURCE_DIR}/${DCGAN_PACKAGE}Config.cmake.in
  ${PROJECT_BINARY_DIR}/${DCGAN_PACKAGE}Config.cmake
  INSTALL_DESTINATION ${DcganOnednn_INSTALL_CMAKEDIR}
  PATH_VARS DCGAN_INSTALL_INCLUDEDIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/${DCGAN_PACKAGE}ConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/${DCGAN_PACKAGE}Config.cmake ${PROJECT_BINARY_DIR}/${DCGAN_PACKAGE}ConfigVersion.cmake
  DESTINATION ${DcganOnednn_INSTALL_CMAKEDIR}
  COMPONENT ${DCGAN_DEVELOPMENT_COMPONENT})
install(EXPORT ${DCGAN_PACKAGE}Targets
  NAMESPACE ${DCGAN_PACKAGE}::
  DESTINATION ${DcganOnednn_INSTALL_CMAKEDIR}
  COMPONENT ${DCGAN_DEVELOPMENT_COMPONENT})

if(NOT PROJECT_IS_TOP_LEVEL)
  return()
endif()

# CPack: one .deb per component, under /usr. The version is project()'s; each package's description (its first line
# the summary) is its component's.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME dcgan-onednn)
set(CPACK_PACKAGE_CONTACT "dcgan-onednn developers")
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_STRIP_FILES ON)  # the tools, and the archives' debug sections (above)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL ${DCGAN_RUNTIME_COMPONENT} ${DCGAN_DEVELOPMENT_COMPONENT})

string(TOUPPER ${DCGAN_RUNTIME_COMPONENT} runtime)
set(CPACK_DEBIAN_${runtime}_PACKAGE_NAME ${DCGAN_DEB_RUNTIME})
set(CPACK_COMPONENT_${runtime}_DESCRIPTION
  "DCGAN training on oneDNN: the celeba-pack and dcgan-onednn tools\n\
celeba-pack packs CelebA, image folders or IDX files into a sharded HDF5 cache; dcgan-onednn trains, samples,\n\
evaluates and reports on a DCGAN built on oneDNN primitives.")
# The shared libraries the tools load (oneDNN, oneTBB, HDF5, libjpeg-turbo, libpng, zlib, Boost, libgomp, libstdc++)
# become Depends through dpkg-shlibdeps (dpkg-dev).
set(CPACK_DEBIAN_${runtime}_PACKAGE_SHLIBDEPS ON)

string(TOUPPER ${DCGAN_DEVELOPMENT_COMPONENT} development)
set(CPACK_DEBIAN_${development}_PACKAGE_NAME ${DCGAN_DEB_DEVELOPMENT})
set(CPACK_DEBIAN_${development}_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_${development}_DESCRIPTION
  "DCGAN training on oneDNN: static libraries, headers and CMake package\n\
The pipeline, nn, trainer, portable_random, collectives and cli libraries of dcgan-onednn, for\n\
find_package(DcganOnednn CONFIG) and the DcganOnednn::<library> targets.")
# The -dev packages of what DcganOnednnConfig.cmake finds again (find_dependency): the static libraries link them.
set(CPACK_DEBIAN_${development}_PACKAGE_DEPENDS
  "libdnnl-dev, libtbb-dev, libjpeg62-turbo-dev, libhdf5-dev, libboost-program-options-dev, libpng-dev, zlib1g-dev")

include(CPack)
