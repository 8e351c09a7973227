# Writes CTEST_FILE: one CTest test per GoogleTest suite of TEST_EXECUTABLE (--gtest_filter=Suite.*),
# and one per test of a parameterised suite (those drive whole runs, and are the slow ones).
# A test process pays LibTorch's start-up (about a second of CPU): one process per suite instead of
# one per test keeps CI within its 30 minutes. Run after each build of the executable
# (tests/CMakeLists.txt), as gtest_discover_tests would be.
#   cmake -D TEST_EXECUTABLE=... -D CTEST_FILE=... -D WORKING_DIR=... -P gtest_suites.cmake
cmake_policy(VERSION 3.18)
execute_process(COMMAND "${TEST_EXECUTABLE}" --gtest_list_tests OUTPUT_VARIABLE listing RESULT_VARIABLE rc
                TIMEOUT 120)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${TEST_EXECUTABLE} --gtest_list_tests failed (${rc}):\n${listing}")
endif()
set(script "")
set(suite "")
string(REPLACE "\n" ";" lines "${listing}")
# A skipped test is reported as skipped only when it runs alone: in a suite, the skip pattern would
# also hide a failing neighbour (CTest's skip pattern wins over the exit code).
macro(add_one name filter skip)
  string(APPEND script "add_test([==[${name}]==] [==[${TEST_EXECUTABLE}]==] [==[--gtest_filter=${filter}]==])\n"
         "set_tests_properties([==[${name}]==] PROPERTIES WORKING_DIRECTORY [==[${WORKING_DIR}]==] TIMEOUT 900")
  if(${skip})
    string(APPEND script " SKIP_REGULAR_EXPRESSION [==[\\[  SKIPPED \\]]==]")
  endif()
  string(APPEND script ")\n")
endmacro()
foreach(line IN LISTS lines)
  if(line MATCHES "^([^ #][^ ]*)\\.")
    set(suite "${CMAKE_MATCH_1}")
    if(suite MATCHES "/")
      set(parameterised TRUE)
    else()
      set(parameterised FALSE)
      add_one("${suite}" "${suite}.*" FALSE)
    endif()
  elseif(line MATCHES "^  ([^ ]+)" AND parameterised)
    add_one("${suite}.${CMAKE_MATCH_1}" "${suite}.${CMAKE_MATCH_1}" TRUE)
  endif()
endforeach()
file(WRITE "${CTEST_FILE}" "${script}")
