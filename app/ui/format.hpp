// Number formatting for the explorer: thousands separators, short counts ("15.2 M"), byte sizes ("12.3 MiB").
#pragma once

#include <cstdint>
#include <string>

namespace ts::app {

std::string format_thousands(uint64_t n);    // 1234567 -> "1,234,567"
std::string format_count_short(uint64_t n);  // 1234567 -> "1.23 M", 999 -> "999"
std::string format_bytes(uint64_t n);        // 1536 -> "1.50 KiB", 12 -> "12 B"
std::string format_float(double v);          // shortest of %g-like form that round-trips the shown digits

}  // namespace ts::app
