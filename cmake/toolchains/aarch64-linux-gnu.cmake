# Cross toolchain for prebuilds/linux-arm64 (see linux-gnu.cmake for the environment it reads).
set(NODE_LIBRTMP_TRIPLE aarch64-linux-gnu)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(NODE_LIBRTMP_ARCH_FLAGS "")
include("${CMAKE_CURRENT_LIST_DIR}/linux-gnu.cmake")
