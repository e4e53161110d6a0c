// The count page at the shelf with a scanner (which types what it reads, then Enter):
// - a bin label (BIN:store/warehouse/bin) read into the part field chooses that bin and clears the field;
// - a part number read into the part field moves on to the quantity instead of sending the form;
// - Enter in the quantity sends it, and the page comes back with the bin kept, ready for the next part.
document.addEventListener("DOMContentLoaded", function () {
  const form = document.querySelector("[data-scan-form]");
  if (!form) return;
  const bin = form.querySelector("select[name=bin]");
  const part = form.querySelector("input[name=part]");
  const quantity = form.querySelector("input[name=quantity]");
  const message = form.querySelector("[data-scan-message]");
  if (!bin || !part || !quantity) return;

  function say(text) {
    if (!message) return;
    message.textContent = text;
    message.hidden = !text;
  }

  part.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    const text = part.value.trim();
    if (text.toUpperCase().startsWith("BIN:")) {
      event.preventDefault();
      const label = text.slice(4).split("/").slice(1).join("/").toUpperCase();
      const option = Array.from(bin.options).find(function (o) { return o.text.trim().toUpperCase() === label; });
      if (option) {
        bin.value = option.value;
        say("");
      } else {
        say(form.dataset.unknownBin.replace("%(bin)s", label));
      }
      part.value = "";
      return;
    }
    if (text && !quantity.value.trim()) {
      event.preventDefault();
      quantity.focus();
      quantity.select();
    }
  });
});
