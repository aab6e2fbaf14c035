# Toolchain for prebuilds/linux-x64: the host compiler, but against the old-glibc sysroot
# (see linux-gnu.cmake), so the prebuild runs on older distributions than the build machine.
set(NODE_LIBRTMP_TRIPLE x86_64-linux-gnu)
set(CMAKE_SYSTEM_PROCESSOR x86_64)
set(NODE_LIBRTMP_ARCH_FLAGS "")
include("${CMAKE_CURRENT_LIST_DIR}/linux-gnu.cmake")
