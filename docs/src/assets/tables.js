// 表格：一个选项名、程序名或文件名（例如 --threads、tls-server）不在中间断行。
//
// In a table cell a browser may break a line after any hyphen, and, where
// the column is narrow, inside a name: `--threads` became "-" and "-threads"
// on two lines, which reads as two things. CSS cannot tell a short name from
// a long command, so this script marks the short ones: a code span in a
// table that is printable ASCII without spaces and at most 24 characters
// gets the class `word`, which book.css keeps on one line. Longer spans
// (paths, whole commands, error messages) still wrap, so a table can always
// narrow down to the page; the browser test checks both.
//
// Loaded with `defer` from theme/head.hbs: it runs once the page is read.
(function () {
    'use strict';
    const SHORT = 24;
    for (const code of document.querySelectorAll('.content main td code, .content main th code')) {
        const text = code.textContent;
        if (text.length <= SHORT && /^[\x21-\x7e]+$/.test(text)) {
            code.classList.add('word');
        }
    }
})();
