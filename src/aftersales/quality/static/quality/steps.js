/* Parts of a form that matter for one choice only: an element with data-show-when="NAME=VALUE" is hidden
   while another value of the radio buttons NAME is chosen (with none chosen, it shows). Written for this
   project; no library. Load it after signature-pad.js, which sizes its pads while they still show. */
(function () {
  "use strict";
  function update(form) {
    Array.prototype.forEach.call(form.querySelectorAll("[data-show-when]"), function (element) {
      var rule = element.dataset.showWhen.split("=");
      var chosen = form.querySelector('input[name="' + rule[0] + '"]:checked');
      element.classList.toggle("d-none", chosen !== null && chosen.value !== rule[1]);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-steps]"), function (form) {
      form.addEventListener("change", function () { update(form); });
      update(form);
    });
  });
})();
