/* The job board's drag and drop: a foreman drops a card on a technician's column to re-dispatch the job.
   The board (#board) names the re-dispatch address; the answer (the board's columns, with the service's
   refusal when there is one) replaces the board. The board's own refresh waits while a card is dragged. */
(function () {
  "use strict";
  let dragging = null;

  function board() { return document.getElementById("board"); }

  document.addEventListener("dragstart", function (event) {
    const card = event.target.closest && event.target.closest(".board-card[data-job]");
    if (!card) return;
    dragging = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.job);
  });

  document.addEventListener("dragend", function () {
    if (dragging) dragging.classList.remove("dragging");
    dragging = null;
    document.querySelectorAll(".drop-target").forEach((el) => el.classList.remove("drop-target"));
  });

  function column(event) {
    return event.target.closest ? event.target.closest(".board-column[data-technician]") : null;
  }

  document.addEventListener("dragover", function (event) {
    const target = column(event);
    if (!dragging || !target || target.contains(dragging)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    target.classList.add("drop-target");
  });

  document.addEventListener("dragleave", function (event) {
    const target = column(event);
    if (target && !target.contains(event.relatedTarget)) target.classList.remove("drop-target");
  });

  document.addEventListener("drop", function (event) {
    const target = column(event);
    if (!dragging || !target) return;
    event.preventDefault();
    target.classList.remove("drop-target");
    const root = board();
    const token = document.querySelector("input[name=csrfmiddlewaretoken]");
    htmx.ajax("POST", root.dataset.redispatch, {
      source: root,
      target: root,
      swap: "innerHTML",
      values: {
        job: dragging.dataset.job,
        technician: target.dataset.technician,
        by: root.dataset.by,
        csrfmiddlewaretoken: token ? token.value : "",
      },
    });
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    // A refresh while a card is in the air would pull the card from under the pointer.
    if (dragging && event.detail.requestConfig && event.detail.requestConfig.verb === "get") event.preventDefault();
  });
})();
