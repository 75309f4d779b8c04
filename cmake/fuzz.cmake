# VMLAB_FUZZ=ON (tests/fuzz/run.sh, its own build dir): clang with libFuzzer, ASan and UBSan.
# Every part is compiled with -fsanitize=fuzzer-no-link,address,undefined (coverage
# instrumentation, no main); only the fuzz targets link -fsanitize=fuzzer. UBSan reports
# abort (-fno-sanitize-recover), so libFuzzer sees them as crashes. The normal build never
# includes this file.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "VMLAB_FUZZ needs clang (configure with -DCMAKE_CXX_COMPILER=clang++); "
    "found ${CMAKE_CXX_COMPILER_ID}")
endif()
set(VMLAB_SANITIZERS -fsanitize=address,undefined -fno-sanitize-recover=all)
add_compile_options(-fsanitize=fuzzer-no-link ${VMLAB_SANITIZERS} -fno-omit-frame-pointer)
add_link_options(${VMLAB_SANITIZERS})
# toml++ header-only here, so that its parser is instrumented too (Debian's shared library is
# built by gcc without coverage): the same pkg-config include path, no library.
set_target_properties(PkgConfig::TOMLPP PROPERTIES
  INTERFACE_COMPILE_OPTIONS "-DTOML_HEADER_ONLY=1"
  INTERFACE_LINK_LIBRARIES ""
  INTERFACE_LINK_OPTIONS "")
