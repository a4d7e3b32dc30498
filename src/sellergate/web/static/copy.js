// Progressive enhancement: without JavaScript the field is still selectable and copyable.
document.querySelectorAll("[data-copy]").forEach(function (button) {
  var field = document.getElementById(button.dataset.copy);
  var status = document.getElementById("copy-status");
  if (!field) { return; }
  button.hidden = false;
  var say = function (text) {
    button.textContent = text === "Copied" ? "Copied ✓" : "Copy";
    if (status) { status.textContent = text === "Copied" ? "Copied to the clipboard." : text; }
  };
  var fallback = function () {
    field.focus();
    field.select();
    try { say(document.execCommand("copy") ? "Copied" : "Press Ctrl+C (⌘C) to copy."); }
    catch (e) { say("Press Ctrl+C (⌘C) to copy."); }
  };
  field.addEventListener("focus", function () { field.select(); });
  button.addEventListener("click", function () {
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () { say("Copied"); }, fallback);
    } else { fallback(); }
  });
});
