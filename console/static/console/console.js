// The console's one script, progressive enhancement only: every page works without it.
// "Use where I am now" fills a site's latitude and longitude from the phone's GPS; without JavaScript, or without
// permission, they are typed by hand. Set up on the first load and again on every htmx swap (htmx runs no script
// inside the content it swaps in).
(function () {
  function setUp(root) {
    var button = root.querySelector ? root.querySelector("#use-location") : null;
    if (!button || button.dataset.ready || !("geolocation" in navigator)) return;
    button.dataset.ready = "1";
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(function (position) {
        document.getElementById("mode-gps").checked = true;
        document.getElementById("latitude").value = position.coords.latitude.toFixed(6);
        document.getElementById("longitude").value = position.coords.longitude.toFixed(6);
      }, function () {}, { enableHighAccuracy: true, timeout: 20000 });
    });
  }
  // A form sent with htmx whose connection dropped stays on the page, filled: say so, and it can be sent again
  // (its idempotency key makes a second arrival of the same submission a replay, never a second item).
  document.addEventListener("htmx:sendError", function () {
    var lost = document.getElementById("connection-lost");
    if (lost) lost.hidden = false;
  });
  document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  document.addEventListener("htmx:load", function (event) { setUp(event.target); });
})();
