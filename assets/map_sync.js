/*
 * Side-by-side months on /map ("this month vs month X"): pan or zoom one map and the other follows.
 *
 * The compare figure has two MapLibre subplots (map: the earlier month, map2: this month),
 * framed alike. A person comparing a township in two months looks at the same place in
 * both; without this, each map pans on its own and the halves drift apart. Each map's
 * camera moves are copied to the other with jumpTo (no animation); a flag stops the copy
 * from bouncing back. Plotly keeps its own layout in step from MapLibre's move events.
 */
(function () {
    'use strict';

    function pair(a, b) {
        if (a.__syncedWith === b) {
            return;
        }
        a.__syncedWith = b;
        b.__syncedWith = a;
        var copying = false;
        function follow(from, to) {
            return function () {
                if (copying || to.__syncedWith !== from) {
                    return;
                }
                if (to._removed || !to.getContainer().isConnected) {
                    // Back to one map: Plotly removed the other one; stop following it.
                    from.__syncedWith = null;
                    return;
                }
                copying = true;
                try {
                    to.jumpTo({center: from.getCenter(), zoom: from.getZoom(),
                               bearing: from.getBearing(), pitch: from.getPitch()});
                } finally {
                    copying = false;
                }
            };
        }
        a.on('move', follow(a, b));
        b.on('move', follow(b, a));
    }

    // The second map exists once Plotly creates its canvas (assets/map_found.js).
    window.battlemapOnMaps(function (layout) {
        var left = layout.map && layout.map._subplot;
        var right = layout.map2 && layout.map2._subplot;
        if (left && right && left.map && right.map) {
            pair(left.map, right.map);
        }
    });
})();
