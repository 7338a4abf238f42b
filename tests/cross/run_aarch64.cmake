# ctest driver (-O1 to keep the cross build quick): cross-compiles qnum's element-wise kernel tests for AArch64 (xsimd's NEON path) and runs them under
# qemu-user, so the NEON kernels are checked bit for bit against the scalar reference like the x86 ones.
#   cmake -DCXX=<aarch64 g++> -DQEMU=<qemu-aarch64> -DSOURCE_DIR=<qnum> -DWORK_DIR=<scratch> -DXSIMD_DIR=<dir with
#         xsimd/> -DDOCTEST_DIR=<dir with doctest/> -P run_aarch64.cmake
cmake_minimum_required(VERSION 3.18)
file(MAKE_DIRECTORY ${WORK_DIR}/sys)
# Only xsimd and doctest from the host's include tree: the rest of /usr/include is x86 glibc.
file(CREATE_LINK ${XSIMD_DIR}/xsimd ${WORK_DIR}/sys/xsimd SYMBOLIC)
file(CREATE_LINK ${DOCTEST_DIR}/doctest ${WORK_DIR}/sys/doctest SYMBOLIC)
foreach(test quantize_test quantize_golden_test rounding_test observers_test observers_golden_test metrics_test)
  execute_process(COMMAND ${CXX} -std=c++17 -O1 -static -Wall -Wextra -Wpedantic -Werror -Wno-psabi
                          -I${SOURCE_DIR}/include -isystem ${WORK_DIR}/sys "-DQNUM_GOLDEN_DIR=\"${SOURCE_DIR}/tests/golden\""
                          ${SOURCE_DIR}/tests/${test}.cpp ${SOURCE_DIR}/tests/doctest_main.cpp -o ${WORK_DIR}/${test}
                  RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "cross-compiling ${test} for AArch64 failed")
  endif()
  execute_process(COMMAND ${QEMU} ${WORK_DIR}/${test} RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "${test} failed on AArch64 (NEON)")
  endif()
endforeach()
