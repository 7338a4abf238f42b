# ctest driver: cross-compiles one of qnum's portable kernel tests for AArch64 (xsimd's NEON path; -O1 keeps the
# cross build quick) and runs it under qemu-user, so the NEON kernels are checked bit for bit against the scalar
# reference like the x86 ones.
#   cmake -DCXX=<aarch64 g++> -DQEMU=<qemu-aarch64> -DSOURCE_DIR=<qnum> -DWORK_DIR=<scratch> -DXSIMD_DIR=<dir with
#         xsimd/> -DDOCTEST_DIR=<dir with doctest/> -DTEST=<name of tests/<name>.cpp> -P run_aarch64.cmake
cmake_minimum_required(VERSION 3.18)
file(MAKE_DIRECTORY ${WORK_DIR}/sys)
# Only xsimd and doctest from the host's include tree: the rest of /usr/include is x86 glibc.
file(CREATE_LINK ${XSIMD_DIR}/xsimd ${WORK_DIR}/sys/xsimd SYMBOLIC)
file(CREATE_LINK ${DOCTEST_DIR}/doctest ${WORK_DIR}/sys/doctest SYMBOLIC)
execute_process(COMMAND ${CXX} -std=c++17 -O1 -static -Wall -Wextra -Wpedantic -Werror -Wno-psabi
                        -I${SOURCE_DIR}/include -isystem ${WORK_DIR}/sys "-DQNUM_GOLDEN_DIR=\"${SOURCE_DIR}/tests/golden\""
                        ${SOURCE_DIR}/tests/${TEST}.cpp ${SOURCE_DIR}/tests/doctest_main.cpp -o ${WORK_DIR}/${TEST}
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "cross-compiling ${TEST} for AArch64 failed")
endif()
execute_process(COMMAND ${QEMU} ${WORK_DIR}/${TEST} RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "${TEST} failed on AArch64 (NEON)")
endif()
