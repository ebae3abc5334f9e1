//! `d2lbook serve`: the real binary on a free port, spoken to in plain HTTP/1.1 over a
//! `TcpStream`: pages served with the reload script (never written into the site), paths
//! out of the site refused, an edit rebuilt and announced, editor temp files ignored, a
//! broken edit reported while the previous page stays served.

mod common;

use common::TempBook;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `d2lbook serve`, killed when dropped.
struct Server {
    child: Child,
    address: String,
    /// Everything it printed on stderr so far.
    stderr: Arc<Mutex<String>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(book: &TempBook) -> Server {
        let mut child = book
            .command(&["serve", "--port", "0", "--no-eval"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start d2lbook serve");
        let stderr = Arc::new(Mutex::new(String::new()));
        let (url_tx, url_rx) = mpsc::channel();
        let lines = BufReader::new(child.stderr.take().unwrap());
        let log = stderr.clone();
        std::thread::spawn(move || {
            for line in lines.lines().map_while(Result::ok) {
                if let Some(at) = line.find("http://") {
                    let url = line[at + "http://".len()..].split('/').next().unwrap_or("");
                    let _ = url_tx.send(url.to_string());
                }
                log.lock().unwrap().push_str(&format!("{line}\n"));
            }
        });
        let mut server = Server {
            child,
            address: String::new(),
            stderr,
        };
        match url_rx.recv_timeout(Duration::from_secs(60)) {
            Ok(address) => server.address = address,
            Err(_) => panic!("serve printed no URL:\n{}", server.log()),
        }
        server
    }

    fn log(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits (up to 10 s) until stderr holds `needle`; the log then.
    fn wait_log(&self, needle: &str) -> String {
        let start = Instant::now();
        while !self.log().contains(needle) && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(20));
        }
        self.log()
    }

    /// How many rebuilds it reported (the first build included).
    fn builds(&self) -> usize {
        self.log().matches("\nbuilt ").count()
            + usize::from(self.log().starts_with("built "))
            + self.log().matches("build failed").count()
    }

    /// GET `path` as written (no normalisation): the status and the body.
    fn get(&self, path: &str) -> (u16, String) {
        let (status, _, body) = self.get_with_head(path);
        (status, body)
    }

    /// GET `path`: the status, the head and the body.
    fn get_with_head(&self, path: &str) -> (u16, String, String) {
        self.get_from(&self.address.clone(), path)
    }

    /// GET `path` with `host` in the `Host` header.
    fn get_from(&self, host: &str, path: &str) -> (u16, String, String) {
        let mut stream = TcpStream::connect(&self.address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).unwrap();
        let response = String::from_utf8_lossy(&response).into_owned();
        let status = response
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status in {response:?}"));
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        (status, head.to_lowercase(), body.to_string())
    }

    /// The stream of rebuild events.
    fn events(&self) -> Events {
        let mut stream = TcpStream::connect(&self.address).unwrap();
        write!(
            stream,
            "GET /__d2lbook/events HTTP/1.1\r\nHost: {}\r\n\r\n",
            self.address
        )
        .unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let mut events = Events {
            stream,
            text: String::new(),
        };
        // The response's head: the stream is open before anything is edited.
        assert!(
            events.wait_for("text/event-stream", Duration::from_secs(10)),
            "no event stream: {}",
            events.text
        );
        events
    }
}

struct Events {
    stream: TcpStream,
    /// What came so far.
    text: String,
}

impl Events {
    /// Reads until `needle` arrives (true) or `limit` passes (false).
    fn wait_for(&mut self, needle: &str, limit: Duration) -> bool {
        let start = Instant::now();
        let mut buf = [0; 4096];
        while !self.text.contains(needle) {
            if start.elapsed() > limit {
                return false;
            }
            match self.stream.read(&mut buf) {
                Ok(0) => return false,
                Ok(n) => self.text.push_str(&String::from_utf8_lossy(&buf[..n])),
                Err(_) => {} // the read timeout: look at the clock again
            }
        }
        true
    }
}

#[test]
fn serves_pages_with_the_reload_script_only_when_served() {
    let book = TempBook::fixture("en");
    let server = Server::start(&book);
    let (status, index) = server.get("/");
    assert_eq!(status, 200, "{index}");
    assert!(index.contains("Fixture Book"), "{index}");
    assert!(index.contains("/__d2lbook/events"), "{index}");
    assert!(
        index.trim_end().ends_with("</html>"),
        "script before </body>"
    );
    let (status, page) = server.get("/chap_one/basics.html");
    assert_eq!(status, 200);
    assert!(page.contains("/__d2lbook/events"));
    for file in ["index.html", "chap_one/basics.html"] {
        assert!(!book.page(file).contains("__d2lbook"), "{file} on disk");
    }
    // A folder: redirected to its `/` (relative, never to `//another-host`), then its index.
    let (status, head, _) = server.get_with_head("/chap_one");
    assert_eq!(status, 308);
    assert!(head.contains("\r\nlocation: ./chap_one/\r\n"), "{head}");
    let (status, head, _) = server.get_with_head("//chap_one");
    assert_eq!(status, 308);
    assert!(head.contains("\r\nlocation: ./chap_one/\r\n"), "{head}");
    let (status, chapter) = server.get("/chap_one/");
    assert_eq!(status, 200);
    assert!(chapter.contains("/__d2lbook/events"));
    // Assets as they are.
    let (status, css) = server.get("/nav.js");
    assert_eq!(status, 200);
    assert!(!css.contains("__d2lbook"));
    let (status, missing) = server.get("/no-such-page.html");
    assert_eq!(status, 404);
    assert!(missing.contains("Not found"), "{missing}");
}

#[test]
fn paths_out_of_the_site_are_refused() {
    let book = TempBook::fixture("en");
    let server = Server::start(&book);
    let site = book.root.join("_build/html");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(book.root.join("book.toml"), site.join("leak.toml")).unwrap();
        std::os::unix::fs::symlink(&book.root, site.join("up")).unwrap();
    }
    let secret = "[build]"; // in book.toml, in no page
    for path in [
        "/../book.toml",
        "/%2e%2e/book.toml",
        "/%2E%2E/book.toml",
        "/..%2fbook.toml",
        "/..%5cbook.toml",
        "/a\\..\\book.toml",
        "/chap_one/../../book.toml",
        "/./index.html",
        "//book.toml",
        "/leak.toml",
        "/up/book.toml",
        "/%00",
    ] {
        let (status, body) = server.get(path);
        assert!(
            matches!(status, 400 | 403 | 404),
            "{path}: {status}\n{body}"
        );
        assert!(!body.contains(secret), "{path}: {body}");
    }
}

#[test]
fn only_local_host_names_are_answered() {
    let book = TempBook::fixture("en");
    let server = Server::start(&book);
    let port = server.address.rsplit(':').next().unwrap().to_string();
    for host in [
        "localhost",
        "LOCALHOST",
        "book.localhost",
        "127.0.0.1",
        "[::1]",
    ] {
        let (status, _, body) = server.get_from(&format!("{host}:{port}"), "/");
        assert_eq!(status, 200, "{host}: {body}");
    }
    // A name that a web page made resolve to 127.0.0.1 (DNS rebinding).
    for host in [
        "attacker.example",
        "attacker.example:80",
        "localhost.example",
    ] {
        let (status, _, body) = server.get_from(host, "/");
        assert_eq!(status, 403, "{host}: {body}");
        assert!(!body.contains("Fixture Book"));
    }
}

#[test]
fn an_edit_is_rebuilt_and_announced_and_temp_files_are_not() {
    let book = TempBook::fixture("en");
    let server = Server::start(&book);
    let mut events = server.events();
    let builds = server.builds();

    // Editor temp files beside the chapter: no rebuild.
    book.write("src/chap_one/.basics.md.swp", "swap");
    book.write("src/chap_one/basics.md~", "backup");
    book.write("src/chap_one/4913", "");
    book.write("src/chap_one/.#basics.md", "lock");
    // Nor changes to the output folder.
    book.write("_build/html/stray.txt", "x");
    assert!(!events.wait_for("event:", Duration::from_millis(1500)));
    assert_eq!(server.builds(), builds, "{}", server.log());

    let path = book.root.join("src/chap_one/basics.md");
    let text = std::fs::read_to_string(&path).unwrap();
    let saved = Instant::now();
    std::fs::write(&path, format!("{text}\nWords freshly written.\n")).unwrap();
    assert!(
        events.wait_for("chap_one/basics.html", Duration::from_secs(10)),
        "no event: {}\n{}",
        events.text,
        server.log()
    );
    eprintln!("edit to reload event: {} ms", saved.elapsed().as_millis());
    assert!(events.text.contains("event: rebuilt"), "{}", events.text);
    let (status, page) = server.get("/chap_one/basics.html");
    assert_eq!(status, 200);
    assert!(page.contains("Words freshly written."));
    let start = Instant::now();
    while server.builds() == builds && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(server.builds(), builds + 1, "{}", server.log());
}

#[test]
fn a_theme_folder_made_while_serving_is_watched() {
    let book = TempBook::fixture("en");
    let server = Server::start(&book);
    let mut events = server.events();
    std::fs::create_dir(book.root.join("theme")).unwrap();
    book.write("theme/d2lbook.css", "body { color: red }\n");
    assert!(
        events.wait_for("theme/d2lbook.css", Duration::from_secs(10)),
        "{}\n{}",
        events.text,
        server.log()
    );
    // The folder is now watched itself: an edit inside it rebuilds.
    std::thread::sleep(Duration::from_millis(300));
    events.text.clear();
    book.write("theme/d2lbook.css", "body { color: blue }\n");
    assert!(
        events.wait_for("theme/d2lbook.css", Duration::from_secs(10)),
        "{}\n{}",
        events.text,
        server.log()
    );
    assert!(server.get("/theme/d2lbook.css").1.contains("color: blue"));
}

#[test]
fn a_broken_edit_is_reported_and_the_previous_page_stays() {
    let book = TempBook::fixture("en");
    let server = Server::start(&book);
    let mut events = server.events();
    let before = server.get("/preface.html").1;

    let path = book.root.join("src/preface.md");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}\n![gone](img/<nothere>.png)\n")).unwrap();
    assert!(
        events.wait_for("build failed", Duration::from_secs(10)),
        "{}\n{}",
        events.text,
        server.log()
    );
    assert!(events.text.contains("event: failed"), "{}", events.text);
    assert!(events.text.contains("src/preface.md:"), "{}", events.text);
    // Data, not markup: the JSON string carries the text as written.
    assert!(events.text.contains("img/<nothere>.png"), "{}", events.text);
    assert!(server
        .wait_log("error: missing image")
        .contains("error: missing image"));
    let (status, page) = server.get("/preface.html");
    assert_eq!(status, 200);
    assert_eq!(page, before);

    // A page opened now hears of the failure at once.
    let mut late = server.events();
    assert!(late.wait_for("event: failed", Duration::from_secs(5)));

    // Fixed: a good rebuild clears it.
    std::fs::write(&path, format!("{text}\nAll good again.\n")).unwrap();
    assert!(
        events.wait_for("event: rebuilt", Duration::from_secs(10)),
        "{}\n{}",
        events.text,
        server.log()
    );
    assert!(server.get("/preface.html").1.contains("All good again."));
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_it() {
    let book = TempBook::fixture("en");
    let mut server = Server::start(&book);
    let pid = server.child.id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "still running");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}\n{}", server.wait_log("stopped"));
    eprintln!("stopped in {} ms", start.elapsed().as_millis());
}

#[test]
fn a_book_broken_at_start_is_served_once_fixed() {
    let book = TempBook::fixture("en");
    let path = book.root.join("src/preface.md");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}\n![gone](img/nothere.png)\n")).unwrap();
    let server = Server::start(&book);
    // No site yet: a 404 page that still listens, and hears of the failure at once.
    let (status, page) = server.get("/preface.html");
    assert_eq!(status, 404);
    assert!(page.contains("/__d2lbook/events"));
    let mut events = server.events();
    assert!(
        events.wait_for("event: failed", Duration::from_secs(5)),
        "{}",
        events.text
    );
    std::fs::write(&path, &text).unwrap();
    assert!(
        events.wait_for("preface.html", Duration::from_secs(10)),
        "{}\n{}",
        events.text,
        server.log()
    );
    assert_eq!(server.get("/preface.html").0, 200);
}

/// A `book.toml` that moves the output folder and the sources is followed: the new site
/// is served, edits in the new source folder rebuild, and writing the new output
/// folder does not (no rebuild loop).
#[test]
fn a_moved_output_folder_and_source_folder_are_followed() {
    let book = TempBook::fixture("en");
    let server = Server::start(&book);
    let toml = std::fs::read_to_string(book.root.join("book.toml")).unwrap();
    // Sources copied to `text/` first (not watched yet), then the configuration moves.
    common::copy_dir(&book.root.join("src"), &book.root.join("text"));
    let moved = toml
        .replace("src = \"src\"", "src = \"text\"")
        .replace("\"src/refs.bib\"", "\"text/refs.bib\"")
        .replace("[build]\n", "[build]\noutput_dir = \"site-out\"\n");
    assert_ne!(moved, toml);
    book.write("book.toml", &moved);
    // Waiting for the new site itself: the copy's events may bring a rebuild of their own
    // (in the book root) before the one of the new configuration.
    let site = book.root.join("site-out/html/index.html");
    let start = Instant::now();
    while !site.is_file() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(site.is_file(), "{}", server.log());
    // The new site is the one served.
    book.write(
        "text/preface.md",
        &std::fs::read_to_string(book.root.join("text/preface.md"))
            .unwrap()
            .replace("# Preface", "# Preface, moved"),
    );
    let mut events = server.events();
    assert!(
        events.wait_for("preface.html", Duration::from_secs(10)),
        "{}",
        server.log()
    );
    assert!(server.get("/preface.html").1.contains("Preface, moved"));
    assert!(
        std::fs::read_to_string(book.root.join("site-out/html/preface.html"))
            .unwrap()
            .contains("Preface, moved")
    );
    // Writing the new output folder is no change to the book: the rebuilds stop.
    std::thread::sleep(Duration::from_millis(800));
    let settled = server.builds();
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(server.builds(), settled, "{}", server.log());
    // The old sources are no longer watched.
    book.write("src/preface.md", "# Not the book any more\n");
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(server.builds(), settled, "{}", server.log());
}
