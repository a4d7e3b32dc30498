// Progressive enhancement: the date field only matters for "On a date…"; without JavaScript
// it stays visible and is simply ignored for the other choices.
(function () {
  var select = document.getElementById("expires");
  var box = document.querySelector(".expiry-date");
  var date = document.getElementById("expires_on");
  if (!select || !box || !date) { return; }
  var sync = function () {
    var custom = select.value === "date";
    box.hidden = !custom;
    date.required = custom;
  };
  select.addEventListener("change", function () { sync(); if (select.value === "date") { date.focus(); } });
  sync();
})();
