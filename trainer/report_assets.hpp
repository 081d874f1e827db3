// The page's fixed CSS and JavaScript, inlined into every report so that the file needs no network.
#pragma once

namespace trainer::report {

extern const char* const kCss;  // layout, cards, charts, tables, the sample viewer
extern const char* const kJs;   // the sample timeline's slider and thumbnails
extern const char* const kCompareCss;  // added on a comparison page: run swatches, grids side by side

}  // namespace trainer::report
