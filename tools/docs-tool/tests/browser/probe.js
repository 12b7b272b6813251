// Put first in <head> of every page of the test's copy of the book (never
// in the book itself): it writes what went wrong into attributes of <html>,
// which `chromium --dump-dom` hands back to the test.
//
// Two kinds of finding:
// - data-probe-errors: script errors, resources that did not load, images
//   not shown;
// - data-probe-layout: what does not fit the page at this window size, once
//   the page's own work (diagrams, fonts) is done. data-probe-measured says
//   how much was looked at, so that a probe that never ran cannot pass.
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
        settled().then(measureLayout).catch(e => note('layout probe failed', String(e && e.stack || e)));
    });

    // ---------------------------------------------------------------------
    // Layout: everything fits its column, every label is inside its picture
    // and big enough to read on a projector.

    // The smallest a label in a picture may be drawn, in CSS pixels. The
    // projector window is 683 CSS px wide at 150 % (1024 device px), so 12
    // CSS px are 18 device px: readable from the back of a classroom.
    // mdBook's text is 16 px.
    const MIN_LABEL_PX = 12;
    // Rounding in layout: a box may end half a pixel past its column.
    const SLACK = 1;
    // A code span in a table this short and without spaces (an option, a
    // file name) must not be broken over two lines.
    const SHORT_CODE = 24;

    const layout = [];
    const counts = {elements: 0, labels: 0, pictures: 0};

    // Waits until diagrams.js has drawn (or failed), then for the fonts.
    function settled() {
        return new Promise(resolve => {
            (function wait() {
                if (document.body && document.body.dataset.diagrams === 'loading') {
                    setTimeout(wait, 50);
                } else {
                    resolve();
                }
            })();
        }).then(() => document.fonts.ready);
    }

    function shortText(node) {
        return (node.textContent || '').replace(/\s+/g, ' ').trim().slice(0, 50);
    }

    function describe(element) {
        const classes = typeof element.className === 'string' && element.className
            ? '.' + element.className.trim().split(/\s+/).slice(0, 2).join('.') : '';
        return '<' + element.tagName.toLowerCase() + classes + '> "' + shortText(element) + '"';
    }

    // Code blocks and diagrams scroll sideways when they must: their lines
    // cannot be broken, and book.css draws their scroll bar. Nothing else
    // may: a table that scrolls hides its last columns from anyone who does
    // not think of scrolling (and from a screenshot or a projector).
    function mayScroll(element) {
        return element.tagName === 'PRE' || element.parentElement && element.parentElement.tagName === 'PRE';
    }

    function clips(element) {
        const overflow = getComputedStyle(element).overflowX;
        return overflow !== 'visible';
    }

    function measureLayout() {
        const main = document.querySelector('main');
        if (!main) {
            layout.push('the page has no <main>');
            return finish();
        }
        const box = main.getBoundingClientRect();
        const style = getComputedStyle(main);
        const column = {
            left: box.left + parseFloat(style.paddingLeft),
            right: box.right - parseFloat(style.paddingRight),
        };
        const width = Math.round(column.right - column.left);
        const reported = [];
        for (const element of main.querySelectorAll('*')) {
            if (reported.some(outer => outer.contains(element)) || element.parentElement.closest('svg')) {
                continue;
            }
            const rect = element.getBoundingClientRect();
            if (rect.width === 0 && rect.height === 0) {
                continue;
            }
            counts.elements += 1;
            const clippedBy = clippingAncestor(element, main);
            if (clippedBy === null && (rect.right > column.right + SLACK || rect.left < column.left - SLACK)) {
                const past = Math.round(Math.max(rect.right - column.right, column.left - rect.left));
                layout.push(describe(element) + ' sticks out of the ' + width + ' px column by ' + past + ' px');
                reported.push(element);
                continue;
            }
            if (clips(element) && element.scrollWidth > element.clientWidth + SLACK && !mayScroll(element)) {
                layout.push(describe(element) + ' is ' + element.scrollWidth + ' px wide in a ' + element.clientWidth
                    + ' px box: its right part is hidden until scrolled sideways (only code blocks and diagrams may scroll)');
                reported.push(element);
            }
        }
        // A command block keeps its lines whole (and scrolls): the wrapped
        // tail of a command, or of its comment, reads as a command of its own.
        for (const code of main.querySelectorAll('pre > code.language-sh, pre > code.language-powershell')) {
            const wrapping = getComputedStyle(code).whiteSpace;
            if (wrapping !== 'pre' && wrapping !== 'nowrap') {
                layout.push(describe(code) + ' is a command block whose long lines wrap (white-space: ' + wrapping + ')');
            }
        }
        // A name, option or number in a table broken over two lines
        // ("-" / "-threads") reads as two things.
        for (const code of main.querySelectorAll('td code, th code')) {
            const text = code.textContent;
            if (/^[\x21-\x7e]+$/.test(text) && text.length <= SHORT_CODE && code.getClientRects().length > 1) {
                layout.push(describe(code) + ' in a table is broken over two lines');
            }
        }
        for (const svg of main.querySelectorAll('svg')) {
            if (svg.parentElement.closest('svg')) {
                continue;
            }
            counts.pictures += 1;
            checkPicture(svg, svgScale(svg), 'diagram');
        }
        // mdBook 0.5 puts each image in twice: as shown, and a hidden copy
        // that is enlarged on a click. The one shown is measured.
        const charts = Array.from(main.querySelectorAll('img')).filter(img =>
            /\.svg($|\?)/.test(img.getAttribute('src') || '') && img.getBoundingClientRect().width > 0);
        return Promise.all(charts.map(checkChart)).then(finish);
    }

    function clippingAncestor(element, main) {
        for (let up = element.parentElement; up && up !== main; up = up.parentElement) {
            if (clips(up)) {
                return up;
            }
        }
        return null;
    }

    // How many CSS px one unit of the SVG's own coordinates is drawn as.
    function svgScale(svg) {
        const view = svg.viewBox && svg.viewBox.baseVal;
        const rect = svg.getBoundingClientRect();
        if (view && view.width > 0 && view.height > 0) {
            return Math.min(rect.width / view.width, rect.height / view.height);
        }
        return 1;
    }

    // The labels of a picture: its <text> elements, and the HTML elements
    // (inside <foreignObject>, as Mermaid draws flowchart labels) that hold
    // text of their own.
    function labels(svg) {
        const html = Array.from(svg.querySelectorAll('foreignObject *')).filter(element =>
            Array.from(element.childNodes).some(node => node.nodeType === Node.TEXT_NODE && node.textContent.trim() !== ''));
        const texts = Array.from(svg.querySelectorAll('text')).filter(text => text.textContent.trim() !== '');
        return texts.concat(html);
    }

    // Where the text itself is drawn: the glyphs, not the box around them.
    function inkOf(element) {
        if (element instanceof SVGElement) {
            return element.getBoundingClientRect();
        }
        const range = document.createRange();
        range.selectNodeContents(element);
        return range.getBoundingClientRect();
    }

    // `scale`: CSS px per unit of the picture's font sizes. `name` says
    // which picture, in the messages.
    function checkPicture(svg, scale, name) {
        const frame = svg.getBoundingClientRect();
        let smallest = null;
        for (const label of labels(svg)) {
            counts.labels += 1;
            const text = shortText(label);
            const ink = inkOf(label);
            if (ink.width === 0 && ink.height === 0) {
                continue;
            }
            if (ink.left < frame.left - SLACK || ink.right > frame.right + SLACK
                || ink.top < frame.top - SLACK || ink.bottom > frame.bottom + SLACK) {
                layout.push(name + ': the label "' + text + '" lies outside the picture ('
                    + Math.round(ink.left - frame.left) + '..' + Math.round(ink.right - frame.left)
                    + ' px across a picture ' + Math.round(frame.width) + ' px wide): it is cut off');
            }
            const object = label.closest('foreignObject');
            if (object) {
                const room = object.getBoundingClientRect();
                if (ink.right > room.right + SLACK || ink.bottom > room.bottom + SLACK) {
                    layout.push(name + ': the label "' + text + '" does not fit its box: it is cut off');
                }
            }
            const size = parseFloat(getComputedStyle(label).fontSize) * scale;
            if (smallest === null || size < smallest.size) {
                smallest = {size, text};
            }
        }
        if (smallest && smallest.size < MIN_LABEL_PX - 0.05) {
            layout.push(name + ': labels are drawn ' + smallest.size.toFixed(1) + ' px high (e.g. "' + smallest.text
                + '"), smaller than ' + MIN_LABEL_PX + ' px: too small to read at this width');
        }
    }

    // An <img> of an SVG chart: its text cannot be measured inside the
    // <img>, so a copy of the SVG is laid out in the page at the chart's
    // own size, and its labels are measured there.
    function checkChart(img) {
        const name = 'chart ' + img.getAttribute('src');
        counts.pictures += 1;
        return fetch(img.src).then(response => response.text()).then(text => {
            const parsed = new DOMParser().parseFromString(text, 'image/svg+xml').documentElement;
            if (parsed.tagName.toLowerCase() !== 'svg') {
                layout.push(name + ': not an SVG file');
                return;
            }
            const host = document.createElement('div');
            host.style.cssText = 'position:absolute;left:0;top:0;visibility:hidden;';
            const copy = document.importNode(parsed, true);
            host.append(copy);
            document.body.append(host);
            const natural = copy.getBoundingClientRect().width;
            const shown = img.getBoundingClientRect().width;
            checkPicture(copy, natural > 0 ? shown / natural * svgScale(copy) : 1, name);
            host.remove();
        }, error => layout.push(name + ': cannot be read to measure its labels (' + error + ')'));
    }

    function finish() {
        root.setAttribute('data-probe-layout', layout.join('\n'));
        root.setAttribute('data-probe-measured', counts.elements + ' elements, ' + counts.pictures
            + ' pictures, ' + counts.labels + ' labels, column at ' + innerWidth + ' px');
    }
})();
