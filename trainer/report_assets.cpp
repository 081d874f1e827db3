// The report's stylesheet and script, kept apart from the code that writes the page.
#include "trainer/report_assets.hpp"

namespace trainer::report {

const char* const kCss = R"css(
:root{--fg:#1d232b;--mut:#5b6470;--bd:#dde1e6;--bg:#f5f6f8;--acc:#1f77b4}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
header{background:#1d232b;color:#fff;padding:18px 28px}
header h1{margin:0;font-size:22px;font-weight:600}
header p{margin:4px 0 0;color:#c3cad3;font-size:13px}
nav{position:sticky;top:0;z-index:2;background:#fff;border-bottom:1px solid var(--bd);padding:8px 28px;font-size:13px}
nav a{color:var(--acc);text-decoration:none;margin-right:18px}
main{max-width:1440px;margin:0 auto;padding:8px 28px 40px}
h2{font-size:18px;margin:28px 0 10px;font-weight:600}
.note{color:var(--mut);font-size:13px;margin:4px 0 10px}
.warnnote{background:#fff4e5;border:1px solid #f5c27a;border-radius:6px;padding:8px 12px;margin:12px 0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:10px;margin-top:16px}
.card{background:#fff;border:1px solid var(--bd);border-radius:8px;padding:10px 12px}
.card .k{color:var(--mut);font-size:12px}
.card .v{font-size:19px;font-weight:600;margin-top:2px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.card .s{color:var(--mut);font-size:12px}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(560px,1fr));gap:14px}
figure{background:#fff;border:1px solid var(--bd);border-radius:8px;margin:0;padding:8px 10px 6px}
figcaption{color:var(--mut);font-size:12px;padding:2px 4px 4px}
svg.chart{width:100%;height:auto;display:block}
svg.chart text{font-size:11px;fill:#4a525c;font-family:inherit}
svg.chart .ct{font-size:14px;font-weight:600;fill:var(--fg)}
svg.chart .cn{fill:#8a929c;font-style:italic}
svg.chart .al{fill:#6b737d}
svg.chart .grid line{stroke:#eceef1;stroke-width:1}
svg.chart .frame{fill:none;stroke:#c9ced5}
svg.chart .guide{stroke:#aab2bc;stroke-width:1;stroke-dasharray:2 4}
svg.chart .mk{cursor:help}
.chip{display:inline-block;border-radius:10px;padding:1px 9px;color:#fff;font-size:12px;margin-right:6px}
table{border-collapse:collapse;background:#fff;border:1px solid var(--bd);font-size:13px;width:100%}
th,td{text-align:left;padding:5px 10px;border-bottom:1px solid #eef0f2;vertical-align:top}
th{background:#f0f2f5;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td code,td.mono{font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:12px}
.tables{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:14px}
.viewer{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}
.viewer figure{flex:0 1 auto}
.viewer img{display:block;width:min(560px,86vw);height:auto;image-rendering:pixelated;background:#000}
.slider{display:flex;align-items:center;gap:10px;margin:10px 0}
.slider input{flex:1;max-width:720px}
.strip{display:flex;flex-wrap:wrap;gap:8px;margin-top:6px}
.strip figure{padding:4px;cursor:pointer}
.strip figure.sel{outline:2px solid var(--acc)}
.strip img{display:block;width:112px;height:auto;image-rendering:pixelated}
.strip figcaption{text-align:center;padding:2px 0 0}
footer{color:var(--mut);font-size:12px;margin-top:30px}
)css";

const char* const kCompareCss = R"css(
.grid2{grid-template-columns:repeat(auto-fill,minmax(560px,1fr))}
.swatch{display:inline-block;width:18px;height:4px;border-radius:2px;vertical-align:middle;margin-right:7px}
table.runs td,table.diff td{font-variant-numeric:tabular-nums}
table.runs thead th,table.diff thead th{white-space:nowrap}
.sidebyside{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}
.sidebyside figure{border-top-width:4px}
.sidebyside img{display:block;width:min(420px,86vw);height:auto;image-rendering:pixelated;background:#000}
)css";

// Slider and thumbnails of the sample timeline: the big view reuses the thumbnail's data URI (no second copy).
const char* const kJs = R"js(
(function () {
  var thumbs = Array.prototype.slice.call(document.querySelectorAll('.strip img'));
  var big = document.getElementById('grid-big');
  var cap = document.getElementById('grid-cap');
  var slider = document.getElementById('grid-slider');
  if (!thumbs.length || !big || !slider) return;
  function show(i) {
    i = Math.max(0, Math.min(thumbs.length - 1, i | 0));
    big.src = thumbs[i].src;
    cap.textContent = thumbs[i].getAttribute('data-label');
    slider.value = String(i);
    thumbs.forEach(function (t, k) { t.parentNode.classList.toggle('sel', k === i); });
  }
  thumbs.forEach(function (t, k) { t.parentNode.addEventListener('click', function () { show(k); }); });
  slider.addEventListener('input', function () { show(+slider.value); });
  show(thumbs.length - 1);
})();
)js";

}  // namespace trainer::report
