// The phone menu: the menu button (#nav-toggle, shown by assets/base.css below 720 px) opens and
// closes the page links (#page-nav) and says so in aria-expanded. Choosing a link, tapping outside
// the bar or pressing Escape closes it. Delegated listeners: the bar is rendered after this runs.
// A file, not inline: the Content-Security-Policy allows scripts from this server only.
(function () {
  function bar() { return document.getElementById("user-bar"); }
  function setOpen(open) {
    var b = bar();
    var button = document.getElementById("nav-toggle");
    if (!b || !button) { return; }
    b.classList.toggle("nav-open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }
  function isOpen() { var b = bar(); return !!b && b.classList.contains("nav-open"); }
  document.addEventListener("click", function (e) {
    var target = e.target;
    if (!target || !target.closest) { return; }
    if (target.closest("#nav-toggle")) { setOpen(!isOpen()); return; }
    if (isOpen() && (target.closest("#page-nav a") || !target.closest("#user-bar"))) { setOpen(false); }
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape" || !isOpen()) { return; }
    setOpen(false);
    var button = document.getElementById("nav-toggle");
    if (button) { button.focus(); }
  });
})();
