// 图：把页面里的 ```mermaid 代码块画成图。
//
// Why this way: a ```mermaid block in the Markdown is drawn by the code host
// (GitHub renders it natively), and here by the same Mermaid library, kept
// in the book (src/assets/mermaid/mermaid.min.js), so the built book draws
// its pictures offline. No preprocessor is needed: `mdbook build docs` alone
// makes the whole book, and a preprocessor's version cannot fall out of step
// with mdBook's (mdbook-mermaid had to be rebuilt for mdBook 0.5).
//
// Loaded with `defer` from theme/head.hbs: it runs once the page is read.
// The library (several MB) is loaded only on pages that have a diagram.
// When it is done, every block is an <svg>; `document.body.dataset.diagrams`
// says "rendered" (or "failed"), which the browser test waits for.
(function () {
    'use strict';

    const blocks = Array.from(document.querySelectorAll('pre > code.language-mermaid'));
    if (blocks.length === 0) {
        return;
    }
    document.body.dataset.diagrams = 'loading';

    // Each block becomes <pre class="mermaid">source</pre>, the form Mermaid
    // looks for; the source text stays readable until it is drawn.
    const targets = blocks.map(code => {
        const pre = document.createElement('pre');
        pre.className = 'mermaid';
        pre.textContent = code.textContent;
        code.parentElement.replaceWith(pre);
        return pre;
    });

    const dark = ['ayu', 'coal', 'navy'].some(t => document.documentElement.classList.contains(t));

    function draw() {
        mermaid.initialize({
            startOnLoad: false,
            theme: dark ? 'dark' : 'default',
            // Text is text, never HTML from the page.
            securityLevel: 'strict',
            // The page's own font, so Chinese labels match the text around them.
            fontFamily: getComputedStyle(document.body).fontFamily,
            // Each diagram is drawn at its own size and never shrunk to fit
            // the column: shrunk, a wide one's labels became 7 px, unreadable
            // on a projector. A diagram wider than the column scrolls
            // instead (book.css). Gantt charts' own text is 11 px by default;
            // 14 is readable from the back of a room. The browser test
            // fails on any label under 12 px.
            flowchart: {useMaxWidth: false},
            sequence: {useMaxWidth: false},
            gantt: {useMaxWidth: false, fontSize: 14, sectionFontSize: 14, barHeight: 26, leftPadding: 110},
        });
        mermaid.run({nodes: targets}).then(
            () => { document.body.dataset.diagrams = 'rendered'; },
            error => {
                document.body.dataset.diagrams = 'failed';
                console.error('diagram failed: ' + ((error && (error.message || error.str)) || error));
            });
    }

    const script = document.createElement('script');
    script.src = path_to_root + 'assets/mermaid/mermaid.min.js';
    script.onload = draw;
    script.onerror = () => {
        document.body.dataset.diagrams = 'failed';
        console.error('cannot load ' + script.src);
    };
    document.head.append(script);
})();
