# The model-loading fuzzers (include from tests/fuzz/CMakeLists.txt after ts_add_fuzzer is defined):
#   fuzz_load_model: any bytes through load_model() as a GGUF file; fuzz_llama2c: a llama2.c checkpoint plus its
#   tokenizer.bin. core/model (with its arch/ folder), core/tokenizer, core/gguf and core/kv are compiled instrumented, once for both; the kernels
#   (ts_tensor, with their per-file SIMD flags) are linked as built.
foreach(name fuzz_load_model fuzz_llama2c)
    ts_add_fuzzer(${name} model tokenizer gguf kv)
    target_link_libraries(${name} PRIVATE ts_tensor ts::pcre2)
endforeach()

# Regenerates the committed seeds: make_model_corpus tests/fuzz/corpus
add_executable(make_model_corpus make_model_corpus.cpp)
target_compile_options(make_model_corpus PRIVATE ${TS_WARNINGS})
target_link_libraries(make_model_corpus PRIVATE ts_randmodel)

# CI: replay the seeds once, then a short campaign whose new inputs go to the build folder.
foreach(pair "fuzz_load_model;model" "fuzz_llama2c;llama2c")
    list(GET pair 0 name)
    list(GET pair 1 seeds)
    add_test(NAME ${name}_corpus COMMAND ${name} -runs=0 ${CMAKE_CURRENT_SOURCE_DIR}/corpus/${seeds})
    set_tests_properties(${name}_corpus PROPERTIES LABELS fuzz TIMEOUT 120)
    set(work ${CMAKE_CURRENT_BINARY_DIR}/corpus_${seeds})
    file(MAKE_DIRECTORY ${work})
    add_test(NAME ${name}_60s
             COMMAND ${name} -max_total_time=60 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1
                     ${work} ${CMAKE_CURRENT_SOURCE_DIR}/corpus/${seeds})
    set_tests_properties(${name}_60s PROPERTIES LABELS "fuzz;fuzz-long" TIMEOUT 180)
endforeach()
