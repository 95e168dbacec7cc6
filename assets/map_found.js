/*
 * Tell the map scripts about each Plotly map (MapLibre) as it enters the page.
 *
 * A map's canvas is added to the page as Plotly creates its MapLibre map, before the first
 * frame. battlemapOnMaps(fn) calls fn(layout) with the figure's full layout (its `map`,
 * `map2`, … subplots, each with `_subplot.map`) whenever a map canvas appears, so
 * map_paint.js and map_sync.js share one observer. Loaded first (assets load by name).
 */
(function () {
    'use strict';
    var hooks = [];

    window.battlemapOnMaps = function (fn) {
        hooks.push(fn);
    };

    function mapsIn(node) {
        if (!node.querySelectorAll) {
            return;
        }
        var canvases = node.matches && node.matches('canvas.maplibregl-canvas') ? [node] :
            node.querySelectorAll('canvas.maplibregl-canvas');
        for (var i = 0; i < canvases.length; i++) {
            var gd = canvases[i].closest('.js-plotly-plot');
            var layout = gd && gd._fullLayout;
            if (layout) {
                for (var h = 0; h < hooks.length; h++) {
                    hooks[h](layout);
                }
            }
        }
    }

    new MutationObserver(function (records) {
        for (var i = 0; i < records.length; i++) {
            for (var j = 0; j < records[i].addedNodes.length; j++) {
                mapsIn(records[i].addedNodes[j]);
            }
        }
    }).observe(document.documentElement, {childList: true, subtree: true});
})();
