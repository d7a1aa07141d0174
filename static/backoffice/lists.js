// "Tick all / none" (templates/backoffice/_ticks.html) at once, without reloading the page.
// Without this file the links reload the page with the boxes ticked or not.
(function () {
  "use strict";
  document.querySelectorAll("[data-ticks] [data-tick]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      var formId = link.closest("[data-ticks]").getAttribute("data-ticks");
      var tick = link.getAttribute("data-tick") === "all";
      var form = document.getElementById(formId);
      var boxes = document.querySelectorAll('input[type=checkbox][form="' + formId + '"]');
      var inside = form ? form.querySelectorAll("input[type=checkbox]") : [];
      [].forEach.call(boxes, function (box) { box.checked = tick; });
      [].forEach.call(inside, function (box) { box.checked = tick; });
    });
  });
})();
