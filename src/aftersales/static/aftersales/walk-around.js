/* The walk-around page on the tablet (written for this project, no library):
   - a tap on the car diagram ([data-diagram][data-editable]) places a pending mark there and opens the
     damage form ([data-damage-form]) with x, y in thousandths of the diagram's width and height;
   - the photo button of that form shows the name of the photo taken;
   - a change to the walk-around form (inputs with form="walk-form") shows the [data-unsaved] notices.
   The diagram is swapped by HTMX after each mark, so the listeners are on the document. */
(function () {
  "use strict";

  function clamp(value) { return Math.max(0, Math.min(1000, Math.round(value))); }

  function place(svg, event) {
    var box = svg.getBoundingClientRect();
    var width = Number(svg.dataset.width), height = Number(svg.dataset.height);
    // The drawing keeps its aspect ratio inside the element's box (preserveAspectRatio: xMidYMid meet).
    var scale = Math.min(box.width / width, box.height / height);
    var left = box.left + (box.width - width * scale) / 2, top = box.top + (box.height - height * scale) / 2;
    var x = clamp(((event.clientX - left) / (width * scale)) * 1000);
    var y = clamp(((event.clientY - top) / (height * scale)) * 1000);
    var section = svg.closest("#damages") || document;
    var form = section.querySelector("[data-damage-form]");
    if (!form) { return; }
    form.querySelector("[data-x]").value = x;
    form.querySelector("[data-y]").value = y;
    var pending = svg.querySelector("[data-pending]");
    if (pending) {
      pending.setAttribute("transform", "translate(" + (x * width / 1000).toFixed(1) + " " + (y * height / 1000).toFixed(1) + ")");
      pending.style.display = "";
    }
    var opening = form.hidden;
    form.hidden = false;
    if (opening) { form.scrollIntoView({ block: "nearest", behavior: "smooth" }); }
  }

  document.addEventListener("click", function (event) {
    var svg = event.target.closest && event.target.closest("svg[data-diagram][data-editable]");
    if (svg) { place(svg, event); return; }
    var cancel = event.target.closest && event.target.closest("[data-damage-cancel]");
    if (cancel) {
      var section = cancel.closest("#damages") || document;
      var form = section.querySelector("[data-damage-form]");
      var pending = section.querySelector("[data-pending]");
      if (form) { form.hidden = true; form.reset(); }
      if (pending) { pending.style.display = "none"; }
      var name = section.querySelector("[data-photo-name]");
      if (name) { name.textContent = name.dataset.empty || name.textContent; }
    }
  });

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.matches && input.matches("[data-photo-input]")) {
      var name = input.closest("form").querySelector("[data-photo-name]");
      if (name) {
        if (!name.dataset.empty) { name.dataset.empty = name.textContent; }
        name.textContent = input.files && input.files.length ? input.files[0].name : name.dataset.empty;
      }
    }
  });

  function unsaved() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-unsaved]"), function (notice) { notice.hidden = false; });
  }
  document.addEventListener("input", function (event) {
    if (event.target.getAttribute && event.target.getAttribute("form") === "walk-form") { unsaved(); }
  });
  document.addEventListener("change", function (event) {
    if (event.target.getAttribute && event.target.getAttribute("form") === "walk-form") { unsaved(); }
  });
})();
