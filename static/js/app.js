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

// Proposal form: "Add milestone" rows and a live sum of the milestones against the bid.
(function () {
  "use strict";
  var form = document.querySelector("[data-proposal-form]");
  if (!form) return;
  var box = form.querySelector("[data-milestones]");
  if (!box) return;
  var rows = box.querySelector("[data-milestone-rows]");
  var template = box.querySelector("[data-milestone-template]");
  var addButton = box.querySelector("[data-add-milestone]");
  var sum = box.querySelector("[data-milestone-sum]");
  var total = form.querySelector("input[name$='-TOTAL_FORMS']");
  var max = parseInt(box.getAttribute("data-max"), 10) || 10;

  // Dollars as typed ("1,250.50", "$300") to whole cents without floating point; null when unreadable.
  function toCents(text) {
    var clean = (text || "").replace(/[$,\s]/g, "");
    if (!/^\d+(\.\d{1,2})?$/.test(clean)) return null;
    var parts = clean.split(".");
    var cents = parseInt(parts[0], 10) * 100;
    if (parts[1]) cents += parseInt((parts[1] + "0").slice(0, 2), 10);
    return cents;
  }
  function money(cents) {
    var whole = Math.floor(cents / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    var rest = cents % 100;
    return "$" + whole + "." + (rest < 10 ? "0" : "") + rest;
  }
  function update() {
    if (!sum) return;
    var added = 0;
    var unreadable = false;
    box.querySelectorAll("[data-milestone-amount]").forEach(function (input) {
      if (!input.value.trim()) return;
      var cents = toCents(input.value);
      if (cents === null) unreadable = true;
      else added += cents;
    });
    var bidInput = form.querySelector("[data-bid]");
    var bid = bidInput ? toCents(bidInput.value) : null;
    sum.classList.remove("over", "under", "exact");
    if (unreadable) {
      sum.textContent = "One of the milestone amounts is not a number such as 250 or 250.50.";
      sum.classList.add("under");
    } else if (bid === null || bid === 0) {
      sum.textContent = added ? "Milestones add up to " + money(added) + "." : "";
    } else {
      var text = "Milestones add up to " + money(added) + " of your " + money(bid) + " bid";
      if (added === bid) { sum.classList.add("exact"); text += " ✓"; }
      else if (added > bid) { sum.classList.add("over"); text += " (" + money(added - bid) + " too much)"; }
      else { sum.classList.add("under"); text += " (" + money(bid - added) + " still to place)"; }
      sum.textContent = text + ".";
    }
  }
  function rowCount() { return rows.querySelectorAll("[data-milestone-row]").length; }
  function refreshButton() { if (addButton) addButton.hidden = rowCount() >= max; }

  if (addButton && template && total && rows) {
    addButton.addEventListener("click", function () {
      var index = parseInt(total.value, 10) || 0;
      if (index >= max) return;
      var html = template.innerHTML.replace(/__prefix__/g, String(index)).replace(/Milestone new /g, "Milestone " + (index + 1) + " ");
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      refreshButton();
      var added = rows.lastElementChild && rows.lastElementChild.querySelector("input");
      if (added) added.focus();
    });
    refreshButton();
  }
  form.addEventListener("input", function (event) {
    if (event.target.matches("[data-milestone-amount], [data-bid]")) update();
  });
  update();
})();

// A "Print" button where there is something to print (a receipt); without script, the browser's own print.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();

// The header's menu button on narrow screens (the CSS shows it below 1150px, or when the links
// would take two rows): it folds the navigation
// away and opens it again; Escape closes it. Without script the button stays hidden and the navigation open.
(function () {
  "use strict";
  var button = document.querySelector("[data-menu-button]");
  var header = button && button.closest(".site-header");
  var nav = button && document.getElementById(button.getAttribute("aria-controls"));
  if (!header || !nav) return;
  function isOpen() { return button.getAttribute("aria-expanded") === "true"; }
  function setOpen(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    header.classList.toggle("menu-open", open);
  }
  header.classList.add("has-menu");
  button.hidden = false;
  button.addEventListener("click", function () { setOpen(!isOpen()); });
  // On a wide screen, a navigation with more links than one row holds (both roles, moderation) folds
  // behind the button too, rather than wrap onto a second row.
  function fit() {
    header.classList.remove("compact");
    var links = nav.children;
    if (!links.length || nav.offsetParent === null) return;
    var wraps = links[links.length - 1].offsetTop > links[0].offsetTop + links[0].offsetHeight / 2;
    header.classList.toggle("compact", wraps);
  }
  fit();
  window.addEventListener("resize", fit);
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !isOpen()) return;
    setOpen(false);
    button.focus();
  });
})();
