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

/// A tiny HTTP server on a free port for `--external`: `/ok` works, `/gone` is 404, and
/// `/nohead` refuses HEAD (405) but answers GET. Returns the port and a log of the
/// requests it got ("HEAD /ok").
fn web_server() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            // The rest of the head.
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                header.clear();
            }
            let mut parts = line.split_whitespace();
            let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            seen.lock().unwrap().push(format!("{method} {path}"));
            let status = match (method, path) {
                (_, "/ok") | ("GET", "/nohead") => "200 OK",
                ("HEAD", "/nohead") => "405 Method Not Allowed",
                _ => "404 Not Found",
            };
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
        }
    });
    (port, log)
}

#[test]
fn external_links_are_checked_only_when_asked_and_answers_are_cached() {
    let (port, log) = web_server();
    let body = format!(
        "# Sec\n\nA [good](http://127.0.0.1:{port}/ok#part) link, a\n[gone](http://127.0.0.1:{port}/gone) one,\nand [one](http://127.0.0.1:{port}/nohead) without HEAD.\n"
    );
    let book = one_section_book(&body);
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);

    // Offline by default: nothing is asked.
    let check = book.run(&["build", "linkcheck"]);
    assert!(check.ok, "{}", check.stderr);
    assert!(log.lock().unwrap().is_empty());

    let check = book.run(&["build", "linkcheck", "--external"]);
    assert_eq!(check.code, Some(1), "{}", check.stderr);
    let err = &check.stderr;
    let gone = format!(
        "error: broken link 'http://127.0.0.1:{port}/gone' on sec.html: 404 Not Found\n --> src/sec.md:4:8\n"
    );
    assert!(err.contains(&gone), "{err}");
    assert_eq!(err.matches("error: broken link").count(), 1, "{err}");
    assert!(
        err.contains("and 3 links to other sites (3 asked, 0 from the cache)"),
        "{err}"
    );
    let asked = log.lock().unwrap().clone();
    assert_eq!(
        asked.iter().filter(|r| r.starts_with("HEAD")).count(),
        3,
        "{asked:?}"
    );
    assert!(asked.contains(&"GET /nohead".to_string()), "{asked:?}");

    // Again: the good answers come from the cache; the broken link is asked again.
    log.lock().unwrap().clear();
    let again = book.run(&["build", "linkcheck", "--external"]);
    assert_eq!(again.code, Some(1));
    assert!(
        again.stderr.contains("(1 asked, 2 from the cache)"),
        "{}",
        again.stderr
    );
    assert_eq!(*log.lock().unwrap(), ["HEAD /gone"]);
}
