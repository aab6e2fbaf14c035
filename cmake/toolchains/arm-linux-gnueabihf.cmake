# Cross toolchain for prebuilds/linux-arm: ARMv7, VFPv3-D16, hard-float (no NEON assumed),
# the same flags scripts/lib/targets.js gives OpenSSL. See linux-gnu.cmake for the environment.
set(NODE_LIBRTMP_TRIPLE arm-linux-gnueabihf)
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(NODE_LIBRTMP_ARCH_FLAGS "-march=armv7-a -mfpu=vfpv3-d16 -mfloat-abi=hard")
include("${CMAKE_CURRENT_LIST_DIR}/linux-gnu.cmake")
