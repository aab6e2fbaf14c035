# Shared part of the <triple>.cmake toolchain files (which set NODE_LIBRTMP_TRIPLE,
# CMAKE_SYSTEM_PROCESSOR and NODE_LIBRTMP_ARCH_FLAGS). Environment:
#   NODE_LIBRTMP_CROSS_PREFIX  compiler prefix (default "<triple>-"), e.g. a vendor SDK's
#                              /opt/sdk/bin/arm-vendor-linux-gnueabihf-
#   NODE_LIBRTMP_SYSROOT       optional target root (a vendor SDK's, or the bullseye one that
#                              scripts/prebuild.js fetches); its headers and libraries win over
#                              the compiler's own
# Read from the environment, not from cache variables: CMake re-reads this file for every
# try_compile, where only the environment is guaranteed to be the same.
set(CMAKE_SYSTEM_NAME Linux)

if(DEFINED ENV{NODE_LIBRTMP_CROSS_PREFIX})
  set(_nlr_prefix "$ENV{NODE_LIBRTMP_CROSS_PREFIX}")
else()
  set(_nlr_prefix "${NODE_LIBRTMP_TRIPLE}-")
endif()
set(CMAKE_C_COMPILER "${_nlr_prefix}gcc")
set(CMAKE_CXX_COMPILER "${_nlr_prefix}g++")

set(_nlr_c_flags "${NODE_LIBRTMP_ARCH_FLAGS}")
separate_arguments(_nlr_arch_list UNIX_COMMAND "${NODE_LIBRTMP_ARCH_FLAGS}")
set(_nlr_cxx_options ${_nlr_arch_list})
set(_nlr_link_flags "${NODE_LIBRTMP_ARCH_FLAGS}")

set(_nlr_sysroot "$ENV{NODE_LIBRTMP_SYSROOT}")
if(_nlr_sysroot)
  set(CMAKE_SYSROOT "${_nlr_sysroot}")
  set(CMAKE_FIND_ROOT_PATH "${_nlr_sysroot}")
  set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
  set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
  set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
  set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

  # Debian's cross gcc searches /usr/<triple>/include (the build machine's newer glibc) before
  # the sysroot, and the host gcc ignores --sysroot for /usr/include: name the sysroot's header
  # folders with -isystem. C++ needs libstdc++'s folders (and gcc's own) named before them too,
  # because <cstdlib> & co. #include_next the C headers from the folders that follow theirs.
  set(_nlr_sys_includes "")
  set(_nlr_sys_include_options "")
  foreach(_dir IN ITEMS "usr/include/${NODE_LIBRTMP_TRIPLE}" "usr/include")
    if(IS_DIRECTORY "${_nlr_sysroot}/${_dir}")
      string(APPEND _nlr_sys_includes " -isystem ${_nlr_sysroot}/${_dir}")
      list(APPEND _nlr_sys_include_options "-isystem${_nlr_sysroot}/${_dir}")
    endif()
  endforeach()
  execute_process(
    COMMAND "${CMAKE_CXX_COMPILER}" ${_nlr_arch_list} -x c++ -E -v /dev/null
    OUTPUT_QUIET ERROR_VARIABLE _nlr_cxx_verbose RESULT_VARIABLE _nlr_cxx_result)
  if(NOT _nlr_cxx_result EQUAL 0)
    message(FATAL_ERROR "toolchain: ${CMAKE_CXX_COMPILER} does not run (${_nlr_cxx_result})")
  endif()
  string(REGEX MATCH "#include <\\.\\.\\.> search starts here:\n(.*)\nEnd of search list"
               _nlr_match "${_nlr_cxx_verbose}")
  string(REPLACE "\n" ";" _nlr_std_dirs "${CMAKE_MATCH_1}")
  foreach(_dir IN LISTS _nlr_std_dirs)
    string(STRIP "${_dir}" _dir)
    if(_dir MATCHES "/c\\+\\+/" OR _dir MATCHES "/gcc(-cross)?/[^/]+/[^/]+/include(-fixed)?$")
      list(APPEND _nlr_cxx_options "-isystem${_dir}")
    endif()
  endforeach()
  string(APPEND _nlr_c_flags "${_nlr_sys_includes}")
  list(APPEND _nlr_cxx_options ${_nlr_sys_include_options})

  # Libraries and start files (crti.o, ...) from the sysroot before the compiler's defaults.
  foreach(_dir IN ITEMS "usr/lib/${NODE_LIBRTMP_TRIPLE}" "lib/${NODE_LIBRTMP_TRIPLE}" "usr/lib" "lib")
    if(IS_DIRECTORY "${_nlr_sysroot}/${_dir}")
      string(APPEND _nlr_link_flags " -L${_nlr_sysroot}/${_dir}")
    endif()
  endforeach()
  if(IS_DIRECTORY "${_nlr_sysroot}/usr/lib/${NODE_LIBRTMP_TRIPLE}")
    string(APPEND _nlr_link_flags " -B${_nlr_sysroot}/usr/lib/${NODE_LIBRTMP_TRIPLE}/")
  endif()

  # OpenSSL is configured by scripts/prepare-deps.js (a child of this CMake run): it takes
  # --sysroot from NODE_LIBRTMP_SYSROOT and the header folders from NODE_LIBRTMP_TARGET_CFLAGS.
  string(STRIP "${_nlr_sys_includes}" _nlr_sys_includes)
  if(NOT "$ENV{NODE_LIBRTMP_TARGET_CFLAGS}" MATCHES "-isystem ${_nlr_sysroot}/")
    set(ENV{NODE_LIBRTMP_TARGET_CFLAGS} "$ENV{NODE_LIBRTMP_TARGET_CFLAGS} ${_nlr_sys_includes}")
  endif()
endif()

set(CMAKE_C_FLAGS_INIT "${_nlr_c_flags}")
# Not CMAKE_CXX_FLAGS_INIT: cmake-js sets CMAKE_CXX_FLAGS on the command line, which replaces it.
# (-isystem<dir> in one word: compile options are de-duplicated word by word.)
list(TRANSFORM _nlr_cxx_options PREPEND "$<$<COMPILE_LANGUAGE:CXX>:")
list(TRANSFORM _nlr_cxx_options APPEND ">")
add_compile_options(${_nlr_cxx_options})
set(CMAKE_SHARED_LINKER_FLAGS_INIT "${_nlr_link_flags}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${_nlr_link_flags}")
set(CMAKE_MODULE_LINKER_FLAGS_INIT "${_nlr_link_flags}")
