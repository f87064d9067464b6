# PCRE2 (8-bit library): Unicode-aware regular expressions for the tokenizers' pre-tokenizers.
# Origin: Debian 12 libpcre2-dev 10.42 (https://github.com/PCRE2Project/pcre2); licence: BSD-3-Clause with the
# PCRE2 exception. Found with pkg-config; nothing is built here.
# Target: ts::pcre2
if(TARGET ts::pcre2)
    return()
endif()
find_package(PkgConfig REQUIRED)
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET GLOBAL libpcre2-8)
add_library(ts::pcre2 ALIAS PkgConfig::PCRE2)
