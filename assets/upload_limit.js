// /data: say so when a chosen or dropped file is over the upload limit.
// dcc.Upload's max_size drops such a file without firing any callback (plotly/dash#2638),
// so the page would otherwise stay silent. The limit and the message template come from
// data attributes the server renders (data-max-bytes, data-too-big with {name} {mb} {max}).
(function () {
  function check(files, zone) {
    var box = zone.closest("[data-max-bytes]");
    if (!box || !files || !files.length) { return; }
    var max = Number(box.getAttribute("data-max-bytes"));
    var out = box.querySelector(".upload-refused");
    var file = files[0];
    if (file.size <= max) { out.textContent = ""; return; }
    out.textContent = box.getAttribute("data-too-big")
      .replace("{name}", file.name)
      .replace("{mb}", (file.size / 1048576).toFixed(1))
      .replace("{max}", String(Math.floor(max / 1048576)));
  }
  document.addEventListener("change", function (e) {
    if (e.target.matches && e.target.matches("[data-max-bytes] input[type=file]")) { check(e.target.files, e.target); }
  }, true);
  document.addEventListener("drop", function (e) {
    var zone = e.target.closest && e.target.closest("[data-max-bytes]");
    if (zone && e.dataTransfer) { check(e.dataTransfer.files, zone); }
  }, true);
})();
