# ctest driver: fails when single_include/qnum/qnum.hpp differs from what single_include/amalgamate.cmake generates
# from include/ now. Fix with: cmake -P single_include/amalgamate.cmake
cmake_minimum_required(VERSION 3.18)
execute_process(COMMAND ${CMAKE_COMMAND} -DOUTPUT=${WORK_DIR}/qnum.hpp -P ${QNUM_SOURCE_DIR}/single_include/amalgamate.cmake
                RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "amalgamation failed")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${WORK_DIR}/qnum.hpp
                        ${QNUM_SOURCE_DIR}/single_include/qnum/qnum.hpp RESULT_VARIABLE rc)
if(rc)
  message(FATAL_ERROR "single_include/qnum/qnum.hpp is stale: run `cmake -P single_include/amalgamate.cmake`")
endif()
