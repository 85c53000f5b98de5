# Build helpers shared by the top-level build and by every topic configured on its own.
#
# LABS_BACKEND selects the GPU backend: cpu (references, harness, CPU tests only),
# cuda (nvcc; CMAKE_CUDA_ARCHITECTURES defaults to 90), hip (hipcc as the C++ compiler,
# .cu sources compiled as HIP for LABS_HIP_ARCHS, default gfx90a).
include_guard(GLOBAL)

set(LABS_BACKEND "cuda" CACHE STRING "GPU backend: cpu | cuda | hip")
set_property(CACHE LABS_BACKEND PROPERTY STRINGS cpu cuda hip)
set(LABS_HIP_ARCHS "gfx90a" CACHE STRING "AMD targets for the hip backend (semicolon list)")
get_filename_component(LABS_SOURCE_DIR "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)

if(NOT CMAKE_CXX_STANDARD)
  if(LABS_BACKEND STREQUAL "hip")
    # Debian 12's hipcc (clang 15) crashes compiling fmt in C++20 device passes: use C++17.
    set(CMAKE_CXX_STANDARD 17)
  else()
    set(CMAKE_CXX_STANDARD 20)
  endif()
endif()
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)

if(LABS_BACKEND STREQUAL "cuda")
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES 90)
  endif()
  enable_language(CUDA)
  # CMake 3.25 (Debian 12) cannot ask nvcc for C++20, so device code is C++17; host code is C++20.
  set(CMAKE_CUDA_STANDARD 17)
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
  find_package(CUDAToolkit REQUIRED)
  set(LABS_GPU ON)
elseif(LABS_BACKEND STREQUAL "hip")
  if(NOT CMAKE_CXX_COMPILER MATCHES "hipcc")
    message(FATAL_ERROR "LABS_BACKEND=hip needs hipcc as the C++ compiler (the hip preset sets it); got ${CMAKE_CXX_COMPILER}")
  endif()
  set(LABS_GPU ON)
elseif(LABS_BACKEND STREQUAL "cpu")
  set(LABS_GPU OFF)
else()
  message(FATAL_ERROR "LABS_BACKEND must be cpu, cuda or hip (got '${LABS_BACKEND}')")
endif()

find_package(nlohmann_json REQUIRED)
find_package(CLI11 REQUIRED)
find_package(fmt REQUIRED)
find_package(doctest REQUIRED)
find_package(benchmark REQUIRED)
find_package(Threads REQUIRED)

enable_testing()

# Marks .cu sources for the active backend: CUDA language on cuda, HIP through hipcc on
# hip, plain C++ on cpu (where LABS_GPU is 0 and the file must guard its device code).
function(labs_gpu_sources)
  foreach(src IN LISTS ARGN)
    if(NOT src MATCHES "\\.cu$")
      continue()
    endif()
    if(LABS_BACKEND STREQUAL "hip")
      set_source_files_properties(${src} PROPERTIES LANGUAGE CXX)
      set_property(SOURCE ${src} APPEND PROPERTY COMPILE_OPTIONS -x hip)
    elseif(LABS_BACKEND STREQUAL "cpu")
      set_source_files_properties(${src} PROPERTIES LANGUAGE CXX)
      set_property(SOURCE ${src} APPEND PROPERTY COMPILE_OPTIONS -x c++)
    endif()
  endforeach()
endfunction()

# Common compile settings for a target that may contain GPU code.
function(labs_target_defaults target)
  target_link_libraries(${target} PUBLIC labs)
  if(LABS_BACKEND STREQUAL "cuda")
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:-lineinfo --expt-relaxed-constexpr -Xcompiler=-Wall>)
  endif()
endfunction()

# hipcc compiles every source for a GPU target; without one it picks an old default (gfx803).
function(labs_hip_targets target)
  if(LABS_BACKEND STREQUAL "hip")
    foreach(arch IN LISTS LABS_HIP_ARCHS)
      target_compile_options(${target} PUBLIC $<$<COMPILE_LANGUAGE:CXX>:--offload-arch=${arch}>)
      target_link_options(${target} PUBLIC --offload-arch=${arch})
    endforeach()
  endif()
endfunction()

# labs_versions(<target> [GLOB <pattern>]) : an OBJECT library of a topic's version files.
# Object (not static) so the self-registering objects are always linked. Empty on cpu.
function(labs_versions target)
  cmake_parse_arguments(A "" "GLOB" "" ${ARGN})
  if(NOT A_GLOB)
    set(A_GLOB "kernels/v*.cu")
  endif()
  if(LABS_GPU)
    file(GLOB srcs CONFIGURE_DEPENDS "${CMAKE_CURRENT_SOURCE_DIR}/${A_GLOB}")
    list(SORT srcs)
    labs_gpu_sources(${srcs})
    add_library(${target} OBJECT ${srcs})
    labs_target_defaults(${target})
    target_include_directories(${target} PUBLIC "${CMAKE_CURRENT_SOURCE_DIR}")
  else()
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE "${CMAKE_CURRENT_SOURCE_DIR}")
    target_link_libraries(${target} INTERFACE labs)
  endif()
endfunction()

# labs_add_lab(<name> SOURCES ... [LIBS ...] [CHECK_ARGS ...])
# The lab executable, plus a ctest "<name>.check" running it in --check-only --quick mode
# (skips with 77 without a GPU, after its CPU reference checks).
function(labs_add_lab name)
  cmake_parse_arguments(A "" "" "SOURCES;LIBS;CHECK_ARGS" ${ARGN})
  labs_gpu_sources(${A_SOURCES})
  add_executable(${name} ${A_SOURCES})
  labs_target_defaults(${name})
  target_include_directories(${name} PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}")
  target_link_libraries(${name} PRIVATE ${A_LIBS})
  add_test(NAME ${name}.check COMMAND ${name} --check-only --quick --journal - ${A_CHECK_ARGS})
  set_tests_properties(${name}.check PROPERTIES SKIP_RETURN_CODE 77 LABELS "lab;gpu" TIMEOUT 600)
endfunction()

# labs_add_test(<name> SOURCES ... [LIBS ...] LABEL cpu|gpu)
# A doctest binary. gpu tests link the main that exits 77 when no device answers.
function(labs_add_test name)
  cmake_parse_arguments(A "" "LABEL" "SOURCES;LIBS" ${ARGN})
  labs_gpu_sources(${A_SOURCES})
  add_executable(${name} ${A_SOURCES})
  labs_target_defaults(${name})
  target_include_directories(${name} PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}")
  if(A_LABEL STREQUAL "gpu")
    target_link_libraries(${name} PRIVATE labs_doctest_gpu_main ${A_LIBS})
  else()
    target_link_libraries(${name} PRIVATE labs_doctest_main ${A_LIBS})
  endif()
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77 LABELS "${A_LABEL}" TIMEOUT 600)
endfunction()

# labs_add_bench(<name> SOURCES ... [LIBS ...]) : Google Benchmark binary (not a test).
function(labs_add_bench name)
  cmake_parse_arguments(A "" "" "SOURCES;LIBS" ${ARGN})
  labs_gpu_sources(${A_SOURCES})
  add_executable(${name} ${A_SOURCES})
  labs_target_defaults(${name})
  target_include_directories(${name} PRIVATE "${CMAKE_CURRENT_SOURCE_DIR}")
  target_link_libraries(${name} PRIVATE labs_bench ${A_LIBS})
endfunction()

# For a topic folder configured on its own: pull in the harness once.
macro(labs_standalone_harness)
  if(NOT TARGET labs)
    add_subdirectory("${LABS_SOURCE_DIR}/common" "${CMAKE_BINARY_DIR}/common")
  endif()
endmacro()
