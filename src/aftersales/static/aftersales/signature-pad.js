/* A signature pad: draw with a finger, a pen or the mouse (pointer events) on every
   <canvas data-signature-for="FIELD">; the form's hidden input FIELD gets the drawing as a PNG data URL
   when the form is sent. A [data-signature-clear] button in the same form wipes it.
   Written for this project (about 60 lines) rather than vendored: it needs no more than this. */
(function () {
  "use strict";
  function setUp(canvas) {
    var form = canvas.closest("form");
    var field = form && form.querySelector('input[name="' + canvas.dataset.signatureFor + '"]');
    if (!field) { return; }
    var context = canvas.getContext("2d");
    var drawn = false;
    var last = null;
    function fit() {
      var ratio = window.devicePixelRatio || 1;
      var box = canvas.getBoundingClientRect();
      canvas.width = Math.round(box.width * ratio);
      canvas.height = Math.round(box.height * ratio);
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      context.lineWidth = 2.2;
      context.lineCap = "round";
      context.lineJoin = "round";
      context.strokeStyle = "#111";
      drawn = false;
      field.value = "";
    }
    function point(event) {
      var box = canvas.getBoundingClientRect();
      return { x: event.clientX - box.left, y: event.clientY - box.top };
    }
    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      last = point(event);
      context.beginPath();
      context.arc(last.x, last.y, 1.1, 0, 2 * Math.PI);
      context.fillStyle = "#111";
      context.fill();
      drawn = true;
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!last) { return; }
      event.preventDefault();
      var next = point(event);
      context.beginPath();
      context.moveTo(last.x, last.y);
      context.lineTo(next.x, next.y);
      context.stroke();
      last = next;
    });
    function stop() { last = null; }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    var clear = form.querySelector("[data-signature-clear]");
    if (clear) { clear.addEventListener("click", function () { context.clearRect(0, 0, canvas.width, canvas.height); fit(); }); }
    form.addEventListener("submit", function () { field.value = drawn ? canvas.toDataURL("image/png") : ""; });
    fit();
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("canvas[data-signature-for]"), setUp);
  });
})();
