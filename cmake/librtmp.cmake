# librtmp (patched, see native/patches) as a static PIC library on a static OpenSSL 1.1.1.
#
# Include after project(... C ...). Inputs:
#   LIBRTMP_SOURCE_DIR  the patched librtmp/ folder (rtmp.c, rtmp.h, ...)
#   OPENSSL_PREFIX      an OpenSSL 1.1.1 (or, NODE_LIBRTMP_OPENSSL=3.5, 3.5) prefix: include/,
#                       lib/libssl.a, lib/libcrypto.a
#   OPENSSL_VERSION_NUMBER_EXPECTED  optional: its OPENSSL_VERSION_NUMBER, checked at compile time
#   LIBRTMP_STATIC_ZLIB optional, default OFF (see the zlib section below)
#   LIBRTMP_COUNT_HEAP  optional, default ON: librtmp's heap calls counted (see the end)
# Defines:
#   openssl_crypto, openssl_ssl  imported static libraries (ssl depends on crypto)
#   rtmp_static                  librtmp; consumers write #include <librtmp/rtmp.h> and, with
#                                LIBRTMP_COUNT_HEAP, define the librtmp_heap_* functions
#                                (native/src/librtmp_heap.h)
#   use_openssl_1_1_1_headers(<target>)
#                                puts OpenSSL 1.1.1's include dir before every other include
#                                dir of <target> and force-includes native/src/openssl_guard.h

include_guard(GLOBAL)

foreach(required_var IN ITEMS LIBRTMP_SOURCE_DIR OPENSSL_PREFIX)
  if("${${required_var}}" STREQUAL "")
    message(FATAL_ERROR "librtmp.cmake: set ${required_var} before including it")
  endif()
endforeach()
foreach(required_file IN ITEMS "${LIBRTMP_SOURCE_DIR}/rtmp.c"
                               "${OPENSSL_PREFIX}/include/openssl/opensslv.h"
                               "${OPENSSL_PREFIX}/lib/libcrypto.a" "${OPENSSL_PREFIX}/lib/libssl.a")
  if(NOT EXISTS "${required_file}")
    message(FATAL_ERROR "librtmp.cmake: missing ${required_file}")
  endif()
endforeach()

get_filename_component(LIBRTMP_OPENSSL_GUARD "${CMAKE_CURRENT_LIST_DIR}/../native/src/openssl_guard.h"
                       ABSOLUTE)
option(LIBRTMP_COUNT_HEAP "Count librtmp's heap blocks through native/src/librtmp_heap.h" ON)
get_filename_component(LIBRTMP_HEAP_HEADER "${CMAKE_CURRENT_LIST_DIR}/../native/src/librtmp_heap.h"
                       ABSOLUTE)

# --- OpenSSL ------------------------------------------------------------------------------------

# No INTERFACE_INCLUDE_DIRECTORIES on these: CMake would pass an imported target's include dir
# as -isystem, which GCC searches after every -I (Node's included). Consumers that include
# OpenSSL headers call use_openssl_1_1_1_headers() instead.
add_library(openssl_crypto STATIC IMPORTED GLOBAL)
set_target_properties(openssl_crypto PROPERTIES
  IMPORTED_LOCATION "${OPENSSL_PREFIX}/lib/libcrypto.a")
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  # libcrypto's DSO loader (engines) needs libdl, its locks need pthreads. -pthread is a link
  # item, not a link option: only link items reach consumers of rtmp_static's private deps.
  set_property(TARGET openssl_crypto PROPERTY INTERFACE_LINK_LIBRARIES ${CMAKE_DL_LIBS} -pthread)
endif()

add_library(openssl_ssl STATIC IMPORTED GLOBAL)
set_target_properties(openssl_ssl PROPERTIES
  IMPORTED_LOCATION "${OPENSSL_PREFIX}/lib/libssl.a"
  INTERFACE_LINK_LIBRARIES openssl_crypto)

# Node's include dir holds OpenSSL 3 headers: ours must come first (a plain -I, prepended), and
# the force-included guard fails the build if they did not.
function(use_openssl_1_1_1_headers target)
  target_include_directories(${target} BEFORE PRIVATE "${OPENSSL_PREFIX}/include")
  target_compile_options(${target} PRIVATE "SHELL:-include \"${LIBRTMP_OPENSSL_GUARD}\"")
  # The exact OpenSSL the prefix holds (scripts/prepare-deps.js), which the guard checks: with
  # NODE_LIBRTMP_OPENSSL=3.5 that is 3.5's, which Node's OpenSSL 3.0 headers are not.
  if(OPENSSL_VERSION_NUMBER_EXPECTED)
    target_compile_definitions(${target} PRIVATE
                               NODE_LIBRTMP_OPENSSL_NUMBER=${OPENSSL_VERSION_NUMBER_EXPECTED})
  endif()
  # On OpenSSL 3 the engine, DH and HMAC_CTX APIs librtmp and the addon use are deprecated but
  # present and meant to be used here (the devcrypto engine): no warning for each call.
  if(OPENSSL_VERSION_NUMBER_EXPECTED MATCHES "^0x3")
    target_compile_definitions(${target} PRIVATE OPENSSL_SUPPRESS_DEPRECATED)
  endif()
endfunction()

# --- zlib (hashswf.c: SWF verification inflates the SWF) ----------------------------------------
# Debian's libz.a is built as PIE, not PIC: it links into a shared object only when its symbols
# are made local (--exclude-libs, which LIBRTMP_STATIC_ZLIB adds). The default is therefore the
# shared libz.so.1, which then has to exist on the target.

option(LIBRTMP_STATIC_ZLIB "Link zlib's libz.a into the addon instead of needing libz.so.1" OFF)
if(LIBRTMP_STATIC_ZLIB)
  find_path(LIBRTMP_ZLIB_INCLUDE_DIR zlib.h)
  find_library(LIBRTMP_ZLIB_ARCHIVE NAMES libz.a)
  if(NOT LIBRTMP_ZLIB_INCLUDE_DIR OR NOT LIBRTMP_ZLIB_ARCHIVE)
    message(FATAL_ERROR "librtmp.cmake: LIBRTMP_STATIC_ZLIB needs zlib.h and libz.a")
  endif()
  # The flag is a link item so that it reaches the final link through rtmp_static.
  add_library(librtmp_zlib STATIC IMPORTED GLOBAL)
  set_target_properties(librtmp_zlib PROPERTIES
    IMPORTED_LOCATION "${LIBRTMP_ZLIB_ARCHIVE}"
    INTERFACE_INCLUDE_DIRECTORIES "${LIBRTMP_ZLIB_INCLUDE_DIR}"
    INTERFACE_LINK_LIBRARIES "-Wl,--exclude-libs,libz.a")
else()
  find_package(ZLIB REQUIRED)
  add_library(librtmp_zlib INTERFACE IMPORTED GLOBAL)
  set_property(TARGET librtmp_zlib PROPERTY INTERFACE_LINK_LIBRARIES ZLIB::ZLIB)
endif()

# --- librtmp ------------------------------------------------------------------------------------

add_library(rtmp_static STATIC
  "${LIBRTMP_SOURCE_DIR}/rtmp.c"
  "${LIBRTMP_SOURCE_DIR}/log.c"
  "${LIBRTMP_SOURCE_DIR}/amf.c"
  "${LIBRTMP_SOURCE_DIR}/hashswf.c"
  "${LIBRTMP_SOURCE_DIR}/parseurl.c")
# librtmp needs nothing from directory-wide include dirs (e.g. Node's): start from none.
set_property(TARGET rtmp_static PROPERTY INCLUDE_DIRECTORIES "")
set_target_properties(rtmp_static PROPERTIES POSITION_INDEPENDENT_CODE ON)
get_filename_component(LIBRTMP_PARENT_DIR "${LIBRTMP_SOURCE_DIR}" DIRECTORY)
target_include_directories(rtmp_static PUBLIC "${LIBRTMP_PARENT_DIR}")
use_openssl_1_1_1_headers(rtmp_static)
# What librtmp/Makefile passes for CRYPTO=OPENSSL (VERSION=v2.4).
target_compile_definitions(rtmp_static PRIVATE RTMPDUMP_VERSION="v2.4" USE_OPENSSL)
target_compile_options(rtmp_static PRIVATE -fvisibility=hidden)
# librtmp's heap calls go through counters that the addon defines (native/src/librtmp_heap.h), so
# that tests can see whether a closed connection left any of librtmp's blocks behind. Builds
# without the addon (the libFuzzer targets, which have LeakSanitizer) turn it off.
if(LIBRTMP_COUNT_HEAP)
  target_compile_definitions(rtmp_static PRIVATE NODE_LIBRTMP_COUNT_HEAP)
  target_compile_options(rtmp_static PRIVATE "SHELL:-include \"${LIBRTMP_HEAP_HEADER}\"")
endif()
target_link_libraries(rtmp_static PRIVATE openssl_ssl openssl_crypto librtmp_zlib)
