/*
 * Paint each Plotly map (MapLibre) only when the picture changes, and a new view only when it is complete.
 *
 * Without a GPU (the intranet PCs, headless test browsers) every MapLibre frame costs the
 * browser a software-GL render plus a read-back of the whole canvas: 100–300 ms with the
 * main thread blocked. MapLibre paints a full frame after every click (its gesture handlers
 * ask for one even when nothing moved), and after a figure update one frame per batch of
 * tiles as the new sources load (the first of them blank). So a drill-down paid for four
 * or five frames, where one is enough. This script:
 *  - skips a frame when nothing was updated since the last one (no camera move, no style,
 *    source or placement change, no transition running);
 *  - after sources are added (a new figure: Plotly.react or the first draw) keeps the last
 *    picture until every source has loaded, then paints once; HOLD_MS bounds the wait;
 *  - turns off the 300 ms cross-fade after zoom changes (symbols and patterns only: none here).
 * Data loading is untouched (MapLibre requests tiles before it paints), so nothing is late;
 * only intermediate pictures are left out. If MapLibre's internals differ, the map is left alone.
 */
(function () {
    'use strict';
    var HOLD_MS = 1500;

    function gate(map) {
        var painter = map.painter;
        if (map.__paintGate || !painter || typeof painter.render !== 'function' || typeof map._render !== 'function' ||
            typeof map._update !== 'function' || typeof map.addSource !== 'function') {
            return;
        }
        map.__paintGate = true;
        // No cross-fades: after each zoom change MapLibre repaints for fadeDuration (300 ms) to blend
        // symbols and patterns between zoom levels; these maps draw neither, and map.loaded() waits for it.
        map._fadeDuration = 0;
        var updated = true;  // an update since the last frame (MapLibre's _update: camera, data, style)
        var holdSince = performance.now();  // a new figure is loading: hold the last picture (none yet)
        var sources = 0;

        var update = map._update;
        map._update = function () {
            updated = true;
            return update.apply(this, arguments);
        };
        var addSource = map.addSource;
        map.addSource = function () {
            sources += 1;
            if (!holdSince) {
                holdSince = performance.now();
            }
            return addSource.apply(this, arguments);
        };
        var render = map._render;
        map._render = function () {
            if (this._styleDirty || this._sourcesDirty || this._placementDirty || this._repaint) {
                updated = true;
            }
            return render.apply(this, arguments);
        };
        var paint = painter.render;
        var painted = false;  // MapLibre's first paint sets the painter up: never skipped
        painter.render = function (style) {
            if (holdSince && painted) {
                var complete = sources > 0 && style && style.loaded();
                if (!complete && performance.now() - holdSince < HOLD_MS) {
                    map.triggerRepaint();  // look again next frame: not every wait ends with an event
                    return undefined;
                }
                holdSince = 0;
                updated = true;
            }
            if (!updated && !map._placementDirty && !(style && style.hasTransitions())) {
                return undefined;
            }
            updated = false;
            painted = true;
            return paint.apply(this, arguments);
        };
    }

    // Every map, before MapLibre's first frame (assets/map_found.js).
    window.battlemapOnMaps(function (layout) {
        for (var key in layout) {
            var sub = /^map\d*$/.test(key) && layout[key] && layout[key]._subplot;
            if (sub && sub.map) {
                gate(sub.map);
            }
        }
    });
})();
