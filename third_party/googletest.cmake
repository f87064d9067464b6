# GoogleTest and GoogleMock: the test framework (tests/ only; nothing of it is installed or shipped).
# Origin: Debian 12 libgtest-dev / libgmock-dev 1.12.1 (https://github.com/google/googletest), found with CMake's
# FindGTest; licence: BSD-3-Clause. Also loads CMake's GoogleTest module for gtest_discover_tests().
# Targets: GTest::gtest, GTest::gtest_main (FindGTest's names)
find_package(GTest REQUIRED)
include(GoogleTest)
