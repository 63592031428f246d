# Media tests (tests/test_media*.c) need the mxlmedia library (media/, added by the top-level CMakeLists.txt).
if(TARGET mxlmedia)
  foreach(src ${MXL_TEST_SOURCES})
    get_filename_component(name ${src} NAME_WE)
    if(name MATCHES "^test_media")
      target_link_libraries(${name} PRIVATE mxlmedia)
    endif()
  endforeach()
endif()

# C17 header check (tests/test_headers_c17.c): compiled alone as strict C17 at -O0 (so the dataformat.h inline
# helpers must link without optimisation), linked against the shared libmxl, and run. Sanitizer builds pass their
# flags on, since libmxl.so then needs the sanitizer runtime.
set(MXL_TEST_EXTRA_CFLAGS "")
if(MXL_SANITIZE)
  set(MXL_TEST_EXTRA_CFLAGS "-fsanitize=address,undefined")
endif()
add_test(NAME test_headers_c17_strict
         COMMAND sh -c "\"$0\" -std=c17 -pedantic-errors -Wall -Wextra -Werror -O0 $1 -I\"$2\" -I\"$3\" \"$4\" -o \"$5\" \"$6\" -Wl,-rpath,\"$7\" && \"$5\""
                 ${CMAKE_C_COMPILER} "${MXL_TEST_EXTRA_CFLAGS}" ${CMAKE_SOURCE_DIR}/core/include
                 ${CMAKE_BINARY_DIR}/core/include ${CMAKE_CURRENT_SOURCE_DIR}/test_headers_c17.c
                 ${CMAKE_CURRENT_BINARY_DIR}/test_headers_c17_strict $<TARGET_FILE:mxl> $<TARGET_FILE_DIR:mxl>)
set_tests_properties(test_headers_c17_strict PROPERTIES TIMEOUT 120)
# pkg-config link check: install into a temporary prefix, build a program with `pkg-config --cflags --libs libmxl`.
add_test(NAME test_pkgconfig
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_pkgconfig.sh ${CMAKE_BINARY_DIR} ${CMAKE_C_COMPILER}
                 ${MXL_TEST_EXTRA_CFLAGS})
set_tests_properties(test_pkgconfig PROPERTIES TIMEOUT 300)
