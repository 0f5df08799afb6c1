// chinwag console: the only script. Browsing works without it; it refreshes the parts of a page
// marked data-live-region (unread counts, messages) every 2 seconds while the box is ticked.
(function () {
  "use strict";
  var toggle = document.querySelector("[data-live-toggle]");
  if (!toggle || !window.fetch || !window.DOMParser) return;
  var busy = false;
  function refresh() {
    if (busy || !toggle.checked || document.hidden) return;
    busy = true;
    fetch(location.href, { credentials: "same-origin", headers: { "X-Requested-With": "chinwag-console" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live-region]").forEach(function (region) {
          var next = fresh.getElementById(region.id);
          if (next && next.innerHTML !== region.innerHTML) region.innerHTML = next.innerHTML;
        });
      })
      .catch(function () {})
      .then(function () { busy = false; });
  }
  setInterval(refresh, 2000);
})();
