// Put first in <head> of every page of the test's copy of the book (never
// in the book itself): it writes what went wrong into attributes of <html>,
// which `chromium --dump-dom` hands back to the test.
(function () {
    'use strict';
    const errors = [];
    const root = document.documentElement;
    function note(kind, text) {
        errors.push(kind + ': ' + text);
        root.setAttribute('data-probe-errors', errors.join('\n'));
    }
    window.addEventListener('error', event => {
        const target = event.target;
        if (target && target !== window && (target.src || target.href)) {
            note('not loaded', target.src || target.href);
        } else {
            note('script error', event.message + ' at ' + event.filename + ':' + event.lineno);
        }
    }, true);
    window.addEventListener('unhandledrejection', event => note('unhandled rejection', String(event.reason)));
    const consoleError = console.error;
    console.error = function () {
        note('console.error', Array.prototype.join.call(arguments, ' '));
        return consoleError.apply(console, arguments);
    };
    window.addEventListener('load', () => {
        for (const image of document.images) {
            if (!image.complete || image.naturalWidth === 0) {
                note('image not shown', image.src);
            }
        }
        root.setAttribute('data-probe-loaded', 'yes');
    });
})();
