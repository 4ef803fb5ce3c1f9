// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Filter the skill checkboxes by name as the person types.
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches("[data-skill-filter]")) return;
    var query = input.value.trim().toLowerCase();
    var root = document.getElementById(input.getAttribute("aria-controls"));
    if (!root) return;
    var shown = 0;
    root.querySelectorAll("[data-skill-name]").forEach(function (item) {
      var match = !query || item.getAttribute("data-skill-name").indexOf(query) !== -1;
      item.hidden = !match;
      if (match) shown += 1;
    });
    root.querySelectorAll(".skill-category").forEach(function (group) {
      group.hidden = !group.querySelector("[data-skill-name]:not([hidden])");
    });
    var status = document.getElementById(input.getAttribute("data-status"));
    if (status) status.textContent = query ? shown + " matching skills" : "";
  });
  // Keep the count of chosen skills visible.
  document.addEventListener("change", function (event) {
    if (!event.target.matches("input[name=skills]")) return;
    var counter = document.querySelector("[data-skill-count]");
    if (counter) counter.textContent = document.querySelectorAll("input[name=skills]:checked").length;
  });
})();
