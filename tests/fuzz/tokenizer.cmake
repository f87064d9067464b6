# The tokenizer fuzzer (include from tests/fuzz/CMakeLists.txt after ts_add_fuzzer is defined):
#   include(${CMAKE_CURRENT_SOURCE_DIR}/tokenizer.cmake)
# tests/fuzz/fuzz_tokenizer.cpp + core/tokenizer + core/gguf (for the fixture vocabularies), with PCRE2.
ts_add_fuzzer(fuzz_tokenizer tokenizer gguf)
target_link_libraries(fuzz_tokenizer PRIVATE ts::pcre2)
target_compile_definitions(fuzz_tokenizer PRIVATE TS_SHARED_DIR="${TS_SHARED_DIR}")

# CI: replay the seeds once, then a short campaign whose new inputs go to the build folder.
add_test(NAME fuzz_tokenizer_corpus COMMAND fuzz_tokenizer -runs=0 ${CMAKE_CURRENT_SOURCE_DIR}/corpus/tokenizer)
set_tests_properties(fuzz_tokenizer_corpus PROPERTIES LABELS fuzz TIMEOUT 120)
set(TS_FUZZ_TOKENIZER_WORK ${CMAKE_CURRENT_BINARY_DIR}/corpus_tokenizer)
file(MAKE_DIRECTORY ${TS_FUZZ_TOKENIZER_WORK})
add_test(NAME fuzz_tokenizer_60s
         COMMAND fuzz_tokenizer -max_total_time=60 -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1
                 ${TS_FUZZ_TOKENIZER_WORK} ${CMAKE_CURRENT_SOURCE_DIR}/corpus/tokenizer)
set_tests_properties(fuzz_tokenizer_60s PROPERTIES LABELS "fuzz;fuzz-long" TIMEOUT 180)
