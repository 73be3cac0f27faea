# tensord_gpu_test(NAME SOURCES src... LIBS lib... [EVERYWHERE gtest-filter] [TIMEOUT s])
#
# A test binary that needs a GPU: its tests skip at run time where there is
# none (GTEST_SKIP, see tests/device/cuda/cuda_test_util.h) and carry the
# ctest label `gpu`; EVERYWHERE names (as a gtest filter) the tests that need
# no GPU and run unlabelled. The binary hosts the CUDA module
# (tensord_hosts_cuda_module), finds this build's module through
# $TENSORD_CUDA_MODULE under ctest (TENSORD_TEST_ENVIRONMENT), and is listed
# in the global property TENSORD_GPU_TESTS, from which tests/gpu/bundle.sh
# packs it.
function(tensord_gpu_test name)
  cmake_parse_arguments(T "" "EVERYWHERE;TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  tensord_hosts_cuda_module(${name})
  set(props TIMEOUT ${T_TIMEOUT})
  if(TENSORD_TEST_ENVIRONMENT)
    list(APPEND props ENVIRONMENT "${TENSORD_TEST_ENVIRONMENT}")
  endif()
  if(T_EVERYWHERE)
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 TEST_FILTER "${T_EVERYWHERE}"
      PROPERTIES ${props})
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 TEST_FILTER "-${T_EVERYWHERE}"
      PROPERTIES LABELS gpu ${props})
  else()
    gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES LABELS gpu ${props})
  endif()
  set_property(GLOBAL APPEND PROPERTY TENSORD_GPU_TESTS ${name})
endfunction()
