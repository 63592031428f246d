# Media tests (tests/test_media*.c) need the mxlmedia library (media/, added by the top-level CMakeLists.txt).
if(TARGET mxlmedia)
  foreach(src ${MXL_TEST_SOURCES})
    get_filename_component(name ${src} NAME_WE)
    if(name MATCHES "^test_media")
      target_link_libraries(${name} PRIVATE mxlmedia)
    endif()
  endforeach()
endif()
