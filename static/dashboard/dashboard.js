/* On a narrow screen a chart over time scrolls sideways inside its panel: show its newest days first. */
(function () {
  "use strict";
  document.querySelectorAll("#period-panels .chart-scroll").forEach(function (box) {
    box.scrollLeft = box.scrollWidth;
  });
})();
