/* 民情: the little behaviour the pages share, kept out of the HTML so the Content-Security-Policy
   allows no inline script. A select with data-autosubmit sends its form when it changes. */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (!el || !el.hasAttribute || !el.hasAttribute("data-autosubmit") || !el.form) return;
    if (el.form.requestSubmit) el.form.requestSubmit(); else el.form.submit();
  });
})();
