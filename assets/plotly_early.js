/*
 * Load plotly.js while the page starts, not after its first graph has arrived.
 *
 * dcc.Graph asks for plotly.js (4.7 MB, this server's own copy) only once a graph is on
 * the page: after the layout and the page's first callback, so the download and the
 * parse (~0.2–0.4 s without a GPU) come last, one after the other. Fetched here, both
 * run while Dash is still waiting for those answers; dcc.Graph then finds window.Plotly
 * and uses it. Pages without a graph pay for a download the browser caches.
 */
(function () {
    'use strict';
    if (window.Plotly) {
        return;
    }
    var config = document.getElementById('_dash-config');
    var prefix = '/';
    try {
        prefix = JSON.parse(config.textContent).requests_pathname_prefix || '/';
    } catch (e) {
        return;  // not a Dash page: nothing to speed up
    }
    var script = document.createElement('script');
    script.src = prefix + '_dash-component-suites/plotly/package_data/plotly.min.js';  // the URL dcc.Graph uses
    script.async = true;
    document.head.appendChild(script);
})();
