// 中文搜索：让 mdBook 的搜索框找得到“超时”“线程池”“证书”“粘包”这样的词。
//
// Why: mdBook's search index (elasticlunr) splits text into words at spaces
// and punctuation. Chinese has no spaces, so a whole clause becomes one
// "word", and searching for 超时 finds nothing (mdBook issue #1081, open
// since 2019). The stored index already holds every section's full text
// (it is what the result teasers are cut from), so this script searches
// that text directly: every term of the query (split at spaces) must occur
// in a section, title hits count most. It keeps elasticlunr's own results
// too, after its own, so English words still match their stems
// ("timeouts" finds "timeout"). No CDN, no extra library: the book works
// offline, on a projector in a classroom with no Wi-Fi.
//
// How it hooks in: mdBook's searcher.js calls `elasticlunr.Index.load` when
// the search index has loaded. The index it gets back answers `search()`
// from here; the result list, teasers and highlighting stay mdBook's own.
// The index loads on its own, as soon as it can, when a page is opened with
// `?search=…` in its address (mdBook puts the search there, so going back
// to a page of results does it): that can be before the scripts at the end
// of the page have run. So this file is loaded first, in <head> (see
// theme/head.hbs), where it waits for elasticlunr to arrive.
(function () {
    'use strict';

    if (window.__searchZh) {
        return; // loaded twice: once is enough
    }
    window.__searchZh = true;

    // Case, full-width letters (ｔｃｐ) and compatibility forms folded away.
    function fold(text) {
        return String(text || '').normalize('NFKC').toLowerCase();
    }

    function count(haystack, needle) {
        let n = 0;
        for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, at + needle.length)) {
            n++;
        }
        return n;
    }

    // A teaser that starts just before the first hit. mdBook cuts teasers
    // at spaces, and a Chinese section has few: without this, the teaser is
    // the section's first lines, whichever they are.
    function around(body, foldedBody, terms) {
        let first = -1;
        for (const term of terms) {
            const at = foldedBody.indexOf(term);
            if (at !== -1 && (first === -1 || at < first)) {
                first = at;
            }
        }
        if (first <= 40) {
            return body;
        }
        return '…' + body.slice(first - 30);
    }

    function substringSearch(docs, query) {
        const terms = fold(query).split(/\s+/).filter(t => t.length > 0);
        const results = [];
        for (const doc of docs) {
            let score = 0;
            let all = true;
            for (const term of terms) {
                const inTitle = count(doc.title, term);
                const inCrumbs = count(doc.breadcrumbs, term);
                const inBody = count(doc.body, term);
                if (inTitle + inCrumbs + inBody === 0) {
                    all = false;
                    break;
                }
                score += 10 * inTitle + 2 * inCrumbs + Math.min(inBody, 10);
            }
            if (all && terms.length > 0) {
                const shown = Object.assign({}, doc.original, {
                    body: around(doc.original.body || '', doc.body, terms),
                });
                results.push({ref: doc.ref, score: score, doc: shown});
            }
        }
        // Best first; equal scores in book order.
        results.sort((a, b) => b.score - a.score || Number(a.ref) - Number(b.ref));
        return results;
    }

    function install(lunr) {
        if (!lunr || !lunr.Index || lunr.Index.__searchZh) {
            return;
        }
        lunr.Index.__searchZh = true;
        const load = lunr.Index.load;
        lunr.Index.load = function (serialised) {
            const index = load.call(this, serialised);
            const stored = (serialised.documentStore && serialised.documentStore.docs) || {};
            const docs = Object.keys(stored).map(ref => ({
                ref: ref,
                original: stored[ref],
                title: fold(stored[ref].title),
                breadcrumbs: fold(stored[ref].breadcrumbs),
                body: fold(stored[ref].body),
            }));
            const elasticSearch = index.search.bind(index);
            index.search = function (query, options) {
                const found = substringSearch(docs, query);
                const seen = new Set(found.map(r => r.ref));
                for (const extra of elasticSearch(query, options)) {
                    if (!seen.has(extra.ref)) {
                        found.push(extra);
                        seen.add(extra.ref);
                    }
                }
                return found;
            };
            return index;
        };
    }

    if (window.elasticlunr) {
        install(window.elasticlunr);
    } else {
        // elasticlunr.min.js sets `window.elasticlunr` when it runs, later.
        let value;
        Object.defineProperty(window, 'elasticlunr', {
            configurable: true,
            enumerable: true,
            get: () => value,
            set: lunr => {
                value = lunr;
                install(lunr);
            },
        });
    }
})();
