//! `d2lbook build linkcheck`: the built site's links, anchors and images, each broken one
//! reported at its source line; the fixtures' sites have none.

mod common;
use common::{one_section_book, TempBook};

#[test]
fn broken_anchors_images_and_pages_are_located_errors() {
    let body =
        "# Sec\n:label:`sec_here`\n\n## Part\n\nSee [the part](#part), [that](other.md#nope)\n\
                and [a page](gone.html).\n\n<img src=\"img/missing.png\" alt=\"m\">\n";
    let book = one_section_book(body).with(&[
        ("src/index.md", "# T\n\n```toc\nsec\nother\n```\n"),
        (
            "src/other.md",
            "# Other\n\nBack to [the section](sec.md#sec_here).\n",
        ),
    ]);
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    let check = book.run(&["build", "linkcheck"]);
    assert!(!check.ok);
    assert_eq!(check.code, Some(1));
    let err = &check.stderr;
    for expected in [
        "error: broken link 'other.html#nope' on sec.html: 'other.html' has no anchor 'nope'\n --> src/sec.md:6:31\n",
        "error: broken link 'gone.html' on sec.html: 'gone.html' is not in the site\n --> src/sec.md:7:14\n",
        "error: broken link 'img/missing.png' on sec.html: 'img/missing.png' is not in the site\n --> src/sec.md:9:11\n",
        "links of _build/html in ",
        ": 3 are broken",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in\n{err}");
    }
    // What works is not reported: the heading's anchor, the link back with its label.
    assert_eq!(err.matches("error: broken link").count(), 3, "{err}");
}

#[test]
fn the_sample_book_and_the_fixtures_have_no_broken_links() {
    let books = [
        TempBook::sample(),
        TempBook::fixture("en"),
        TempBook::fixture("d2l-style"),
        TempBook::fixture("mdbook-style"),
    ];
    for book in &books {
        let run = book.run(&["build", "html", "--no-eval"]);
        assert!(run.ok, "{}", run.stderr);
        let check = book.run(&["build", "linkcheck"]);
        assert!(check.ok, "{}", check.stderr);
        assert!(check.stderr.contains("checked "), "{}", check.stderr);
    }
}

#[test]
fn without_a_built_site_linkcheck_says_what_to_do() {
    let book = one_section_book("# Sec\n");
    let check = book.run(&["build", "linkcheck"]);
    assert!(!check.ok);
    assert!(
        check
            .stderr
            .contains("error: no site in _build/html to check")
            && check
                .stderr
                .contains("build it first: `d2lbook build html`"),
        "{}",
        check.stderr
    );
}
