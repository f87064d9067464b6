// A one-paragraph corpus (KJV Genesis 1:1-5, public domain) shared by the trainer's tests.
#pragma once

namespace ts::core::train::testing {

inline constexpr const char* kParagraph =
    "In the beginning God created the heaven and the earth. And the earth was without form, and void; and "
    "darkness was upon the face of the deep. And the Spirit of God moved upon the face of the waters. And God "
    "said, Let there be light: and there was light. And God saw the light, that it was good: and God divided the "
    "light from the darkness. And God called the light Day, and the darkness he called Night. And the evening and "
    "the morning were the first day.\n";

}  // namespace ts::core::train::testing
