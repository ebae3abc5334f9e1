//! `d2lbook serve`: builds the site once, serves its folder over HTTP, watches the book's
//! sources and rebuilds (through a `Session`, so only changed files are written) after
//! each burst of saves. Pages go out with a small script that listens on server-sent
//! events: it reloads a page when a rebuild changed it (or an asset every page shares)
//! and shows a failed rebuild's diagnostics over the page. The script is added as a page
//! is served, never written into the site.

use crate::build::Options;
use crate::session::Session;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use notify::RecursiveMode;
use std::convert::Infallible;
use std::net::{SocketAddr, TcpListener};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::broadcast;

pub struct ServeOptions {
    pub build: Options,
    pub host: String,
    pub port: u16,
    pub open: bool,
}

/// Where pages listen for rebuilds.
const EVENTS: &str = "/__d2lbook/events";

/// How long a burst of saves must be quiet before the rebuild: an editor's save (a
/// temporary file, a rename, a write) takes a few milliseconds.
const DEBOUNCE: Duration = Duration::from_millis(15);

/// What a rebuild tells open pages.
#[derive(Clone)]
enum Message {
    /// The site's files written or removed (`*`: unknown, reload everything).
    Rebuilt(Vec<String>),
    /// The diagnostics of a failed rebuild; the previous site is still served.
    Failed(String),
}

struct Shared {
    /// The site folder, which a change of `[build] output_dir` moves.
    site: std::sync::RwLock<PathBuf>,
    /// Listening on a loopback address only.
    loopback: bool,
    events: broadcast::Sender<Message>,
    /// The report of the last rebuild when it failed, for pages opened since.
    failure: Mutex<Option<String>>,
}

/// Runs until Ctrl-C; `false` when it could not start.
pub fn serve(options: ServeOptions) -> bool {
    let root = match options.build.root.canonicalize() {
        Ok(root) => root,
        Err(e) => {
            eprintln!(
                "error: cannot open the book folder {}: {e}",
                options.build.root.display()
            );
            return false;
        }
    };
    let (config, out_dir) = match crate::config::Config::load(&root)
        .and_then(|config| crate::output::locate(&root, &config).map(|out| (config, out)))
    {
        Ok(found) => found,
        Err(diagnostic) => {
            eprint!(
                "{}",
                crate::diag::render_all(&[diagnostic], &options.build.root)
            );
            return false;
        }
    };
    let listener = match TcpListener::bind((options.host.as_str(), options.port))
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
    {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!(
                "error: cannot listen on {}:{}: {e}",
                options.host, options.port
            );
            return false;
        }
    };
    let Ok(address) = listener.local_addr() else {
        eprintln!("error: cannot read the address the server listens on");
        return false;
    };

    // Watching first: a save during the first build is rebuilt right after it.
    let (changes, changed) = mpsc::channel::<Vec<PathBuf>>();
    let watched = Watched::new(&root, &config, &out_dir);
    let watcher = match watch(&watched, changes.clone()) {
        Ok(watcher) => watcher,
        Err(e) => {
            eprintln!("error: cannot watch the book's files: {e}");
            return false;
        }
    };
    let mut session = Session::new(options.build.clone());
    let first = session.rebuild();
    eprint!("{}", first.report);
    let (sender, _) = broadcast::channel(64);
    let shared = Arc::new(Shared {
        site: std::sync::RwLock::new(out_dir.join("html")),
        loopback: address.ip().is_loopback(),
        events: sender,
        failure: Mutex::new(first.failed.then_some(first.report)),
    });
    {
        let shared = shared.clone();
        let root = root.clone();
        let options = options.build.clone();
        let watching = Watching {
            watched,
            watcher,
            changes,
        };
        std::thread::spawn(move || {
            rebuild_loop(session, watching, &root, &changed, &shared, &options)
        });
    }

    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the server: {e}");
            return false;
        }
    };
    runtime.block_on(async move {
        let app = Router::new()
            .route(EVENTS, get(events))
            .fallback(file)
            .layer(axum::middleware::from_fn_with_state(
                shared.clone(),
                check_host,
            ))
            .with_state(shared);
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!("error: cannot listen on {address}: {e}");
                return false;
            }
        };
        // Ctrl-C is caught from before the address is printed: whoever starts the server
        // may stop it as soon as it reads the line.
        let mut interrupt = match interrupt() {
            Ok(interrupt) => interrupt,
            Err(e) => {
                eprintln!("error: cannot catch Ctrl-C: {e}");
                return false;
            }
        };
        let url = url(address);
        eprintln!("serving the book at {url} (Ctrl-C to stop)");
        if !address.ip().is_loopback() {
            eprintln!(
                "note: --host {} exposes the site to other machines on the network",
                options.host
            );
        }
        if options.open {
            if let Err(e) = opener::open(&url) {
                eprintln!("warning: cannot open a browser: {e}");
            }
        }
        // Open event streams never end, so a graceful shutdown would wait forever: Ctrl-C
        // simply stops serving (every file of the site is written by a rename, whole).
        tokio::select! {
            served = axum::serve(listener, app) => {
                if let Err(e) = served {
                    eprintln!("error: the server stopped: {e}");
                    return false;
                }
                true
            }
            _ = interrupt.recv() => {
                eprintln!("stopped");
                true
            }
        }
    })
}

/// Ctrl-C, its handler installed now (tokio's `ctrl_c()` installs it when first polled).
#[cfg(unix)]
fn interrupt() -> std::io::Result<tokio::signal::unix::Signal> {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
}

#[cfg(windows)]
fn interrupt() -> std::io::Result<tokio::signal::windows::CtrlC> {
    tokio::signal::windows::ctrl_c()
}

fn url(address: SocketAddr) -> String {
    format!("http://{address}/")
}

/// Rebuilds once changes have settled (no new one for `DEBOUNCE`), one rebuild at a
/// time; changes that arrive during a rebuild are folded into the next one.
fn rebuild_loop(
    mut session: Session,
    mut watching: Watching,
    root: &Path,
    changed: &mpsc::Receiver<Vec<PathBuf>>,
    shared: &Shared,
    options: &Options,
) {
    // Saves that arrived while the pages were written: the index waits for them.
    let mut carried: Option<Vec<PathBuf>> = None;
    loop {
        let mut paths = match carried.take() {
            Some(paths) => paths,
            None => match changed.recv() {
                Ok(paths) => paths,
                Err(_) => break,
            },
        };
        let first = Instant::now();
        // A save is often several events (write, rename, attributes), a "save all" many
        // files; a steady stream of changes still rebuilds every second.
        while first.elapsed() < Duration::from_secs(1) {
            match changed.recv_timeout(DEBOUNCE) {
                Ok(more) => paths.extend(more),
                Err(_) => break,
            }
        }
        paths.sort();
        paths.dedup();
        // Before the rebuild, which may write into a new output folder: its writes must
        // not read as changes.
        if paths.iter().any(|p| is_configuration(p, root)) {
            watching.follow_configuration(root);
        }
        watching.watched.adopt(&mut watching.watcher);
        let started = Instant::now();
        // Open pages hear of the new pages at once; the search index follows.
        let announced = |rebuilt: &crate::session::Rebuilt| {
            announce(
                shared,
                if rebuilt.failed {
                    Message::Failed(rebuilt.report.clone())
                } else {
                    Message::Rebuilt(rebuilt.changed.clone())
                },
            );
            eprint!("{}", rebuilt.report);
            if !rebuilt.failed && !options.quiet {
                let files = rebuilt.changed.len();
                eprintln!(
                    "rebuilt after a change to {}: {files} file{} of the site written or removed in {} ms ({} ms after the save)",
                    shown(&paths, root),
                    if files == 1 { "" } else { "s" },
                    started.elapsed().as_millis(),
                    first.elapsed().as_millis(),
                );
            }
        };
        // When another save is waiting (already, or by the time a page is indexed), its
        // rebuild comes first and the index after it: indexing a big book takes longer
        // than writing its pages.
        let waiting: std::cell::RefCell<Option<Vec<PathBuf>>> = std::cell::RefCell::new(None);
        let save_waiting = || {
            let mut waiting = waiting.borrow_mut();
            if waiting.is_none() {
                *waiting = changed.try_recv().ok();
            }
            waiting.is_some()
        };
        let rebuild = AssertUnwindSafe(|| session.rebuild_then(announced, save_waiting));
        let outcome = std::panic::catch_unwind(rebuild);
        carried = waiting.into_inner();
        let Ok(rebuilt) = outcome else {
            // A bug of ours, not of the book (the panic's message is printed above):
            // start over with a fresh session rather than stop rebuilding.
            session = Session::new(options.clone());
            let report =
                "error: internal error: the rebuild panicked; the previous site is still served\n";
            eprint!("{report}");
            announce(shared, Message::Failed(report.into()));
            continue;
        };
        if let Some(site) = &rebuilt.site {
            if let Ok(mut served) = shared.site.write() {
                if *served != *site {
                    *served = site.clone();
                }
            }
        }
        // Only an index that failed is news after the pages.
        if rebuilt.failed && rebuilt.report.contains("error: search index") {
            eprint!("{}", rebuilt.report);
        }
    }
}

/// What is watched, and how: the folders, the watcher, and where it sends changes.
struct Watching {
    watched: Watched,
    watcher: notify::RecommendedWatcher,
    changes: mpsc::Sender<Vec<PathBuf>>,
}

impl Watching {
    /// Watches what the book's configuration names now (its sources, output folder,
    /// library, …): a changed `book.toml` may have moved them. A configuration that does
    /// not load leaves the watch as it was (the rebuild reports the error).
    fn follow_configuration(&mut self, root: &Path) {
        let Ok(config) = crate::config::Config::load(root) else {
            return;
        };
        let Ok(out_dir) = crate::output::locate(root, &config) else {
            return;
        };
        let watched = Watched::new(root, &config, &out_dir);
        if watched.folders == self.watched.folders && watched.filter == self.watched.filter {
            return;
        }
        match watch(&watched, self.changes.clone()) {
            Ok(watcher) => {
                self.watcher = watcher;
                self.watched = watched;
            }
            Err(e) => eprintln!("warning: cannot watch the book's files anew: {e}"),
        }
    }
}

/// Whether `path` is the book's configuration (`book.toml`, or d2lbook's `config.ini`).
fn is_configuration(path: &Path, root: &Path) -> bool {
    path.parent() == Some(root)
        && path
            .file_name()
            .is_some_and(|name| name == "book.toml" || name == "config.ini")
}

/// Tells open pages (and pages opened later, of a failure) what a rebuild did.
fn announce(shared: &Shared, message: Message) {
    if let Ok(mut failure) = shared.failure.lock() {
        *failure = match &message {
            Message::Failed(report) => Some(report.clone()),
            Message::Rebuilt(_) => None,
        };
    }
    // No page listening is not an error.
    let _ = shared.events.send(message);
}

/// The changed files, from the book root: the first few, then how many more.
fn shown(paths: &[PathBuf], root: &Path) -> String {
    const FEW: usize = 3;
    let mut names: Vec<String> = paths
        .iter()
        .take(FEW)
        .map(|p| p.strip_prefix(root).unwrap_or(p).display().to_string())
        .collect();
    if paths.len() > FEW {
        names.push(format!("{} more", paths.len() - FEW));
    }
    names.join(", ")
}

/// The folders watched for changes, and the ones left out.
struct Watched {
    /// Each folder, and whether its subfolders are watched too.
    folders: Vec<(PathBuf, RecursiveMode)>,
    /// Folders to watch once they exist (a `theme/` made while serving).
    later: Vec<PathBuf>,
    filter: Filter,
}

/// Changes under these folders never rebuild: the output (which a rebuild writes), the
/// build folders of Rust crates; nor changes in version control or to editors' temp files.
#[derive(Clone, PartialEq)]
struct Filter {
    excluded: Vec<PathBuf>,
}

impl Filter {
    fn is_excluded(&self, path: &Path) -> bool {
        self.excluded.iter().any(|e| path.starts_with(e))
            || path.components().any(|c| c.as_os_str() == ".git")
    }

    /// Whether a change to `path` calls for a rebuild.
    fn matters(&self, path: &Path) -> bool {
        !self.is_excluded(path) && !is_editor_temp(path)
    }
}

impl Watched {
    /// The book root's own files (book.toml, config.ini), the sources (with their
    /// images), the bibliography and CSL style, the book's templates and theme, and the cells' library.
    fn new(root: &Path, config: &crate::config::Config, out_dir: &Path) -> Watched {
        let real = |path: PathBuf| path.canonicalize().unwrap_or(path);
        let library = real(root.join(&config.eval.library));
        let mut watched = Watched {
            folders: vec![(root.to_path_buf(), RecursiveMode::NonRecursive)],
            later: Vec::new(),
            filter: Filter {
                excluded: vec![
                    real(out_dir.to_path_buf()),
                    root.join("target"),
                    library.join("target"),
                ],
            },
        };
        let src = real(root.join(&config.book.src));
        // A book whose sources are its root (`src = "."`) holds its output and maybe a
        // `target/` too: the root's other folders, then.
        if src == root {
            watched.add_subfolders(root);
        }
        watched.add_tree(&src);
        watched.add_tree(&root.join("templates"));
        watched.add_tree(&root.join("theme"));
        for file in [&config.book.bibliography, &config.book.csl] {
            if let Some(folder) = file
                .as_ref()
                .and_then(|file| root.join(file).parent().map(Path::to_path_buf))
            {
                watched.add_tree(&folder);
            }
        }
        // A crate: its sources, not its build folder.
        if library.is_dir() && !watched.covers(&library) {
            watched.add_subfolders(&library);
            watched
                .folders
                .push((library.clone(), RecursiveMode::NonRecursive));
        }
        watched
    }

    /// Whether changes in `folder` are already seen.
    fn covers(&self, folder: &Path) -> bool {
        self.folders.iter().any(|(f, mode)| match mode {
            RecursiveMode::Recursive => folder.starts_with(f),
            RecursiveMode::NonRecursive => folder == f,
        })
    }

    /// Watches `folder` and all below it, unless it is left out or already watched; a
    /// missing one (a book without its own templates or theme) once it exists.
    fn add_tree(&mut self, folder: &Path) {
        let Ok(folder) = folder.canonicalize() else {
            self.later.push(folder.to_path_buf());
            return;
        };
        if folder.is_dir() && !self.covers(&folder) && !self.filter.is_excluded(&folder) {
            self.folders.push((folder, RecursiveMode::Recursive));
        }
    }

    /// Starts watching the folders of `later` that exist now.
    fn adopt(&mut self, watcher: &mut notify::RecommendedWatcher) {
        use notify::Watcher;
        let waiting = std::mem::take(&mut self.later);
        let watched = self.folders.len();
        for folder in waiting {
            self.add_tree(&folder);
        }
        for (folder, mode) in &self.folders[watched..] {
            if let Err(e) = watcher.watch(folder, *mode) {
                eprintln!("warning: cannot watch {}: {e}", folder.display());
            }
        }
    }

    /// Watches each subfolder of `folder` but the hidden and left-out ones.
    fn add_subfolders(&mut self, folder: &Path) {
        let Ok(entries) = std::fs::read_dir(folder) else {
            return;
        };
        for entry in entries.flatten() {
            let hidden = entry.file_name().to_string_lossy().starts_with('.');
            if !hidden {
                self.add_tree(&entry.path());
            }
        }
    }
}

/// The files editors write beside the one being edited: vim's swap files and its `4913`
/// probe, backups ending in `~`, Emacs's `.#` lock files.
fn is_editor_temp(path: &Path) -> bool {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy()) else {
        return false;
    };
    name.ends_with(".swp")
        || name.ends_with(".swx")
        || name.ends_with('~')
        || name == "4913"
        || name.starts_with(".#")
}

/// Starts watching; the files of each change that matters are sent to `changes`.
fn watch(
    watched: &Watched,
    changes: mpsc::Sender<Vec<PathBuf>>,
) -> notify::Result<notify::RecommendedWatcher> {
    use notify::event::{AccessKind, AccessMode, EventKind};
    use notify::Watcher;
    let filter = watched.filter.clone();
    let mut watcher = notify::recommended_watcher(move |result: notify::Result<notify::Event>| {
        match result {
            // Opening or reading a file (as every build does) changes nothing.
            Ok(event)
                if matches!(event.kind, EventKind::Access(kind)
                    if kind != AccessKind::Close(AccessMode::Write)) => {}
            Ok(event) => {
                let paths: Vec<PathBuf> = event
                    .paths
                    .into_iter()
                    .filter(|p| filter.matters(p))
                    .collect();
                if !paths.is_empty() {
                    // The rebuild thread has ended only when the server is stopping.
                    let _ = changes.send(paths);
                }
            }
            Err(e) => eprintln!("warning: file watcher: {e}"),
        }
    })?;
    for (folder, mode) in &watched.folders {
        watcher.watch(folder, *mode)?;
    }
    Ok(watcher)
}

/// While listening on loopback, refuses requests naming another host than a loopback
/// one: a web page could otherwise read the preview through DNS rebinding (its own name
/// made to resolve to 127.0.0.1).
async fn check_host(
    State(shared): State<Arc<Shared>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if shared.loopback && !is_local(request.headers().get(header::HOST)) {
        let refused = "this preview answers to localhost and IP addresses only\n";
        return (StatusCode::FORBIDDEN, refused).into_response();
    }
    next.run(request).await
}

/// Whether a `Host` header names this machine: `localhost` (or a name under it) or an
/// IP address.
fn is_local(host: Option<&HeaderValue>) -> bool {
    let Some(host) = host.and_then(|h| h.to_str().ok()) else {
        return false;
    };
    if let Some(bracketed) = host.strip_prefix('[') {
        let ip = bracketed.split(']').next().unwrap_or_default();
        return ip.parse::<std::net::Ipv6Addr>().is_ok();
    }
    let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    let name = name.to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name.parse::<std::net::Ipv4Addr>().is_ok()
}

/// The stream of rebuild events; a page opened while the book is broken first hears
/// of that failure.
async fn events(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let pending = shared
        .failure
        .lock()
        .ok()
        .and_then(|f| f.clone())
        .map(Message::Failed);
    let receiver = shared.events.subscribe();
    let stream =
        futures_util::stream::unfold((pending, receiver), |(pending, mut receiver)| async move {
            if let Some(message) = pending {
                return Some((Ok::<_, Infallible>(event(&message)), (None, receiver)));
            }
            let message = match receiver.recv().await {
                Ok(message) => message,
                // Missed rebuilds: whatever they changed, reload.
                Err(broadcast::error::RecvError::Lagged(_)) => Message::Rebuilt(vec!["*".into()]),
                Err(broadcast::error::RecvError::Closed) => return None,
            };
            Some((Ok(event(&message)), (None, receiver)))
        });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

fn event(message: &Message) -> Event {
    match message {
        Message::Rebuilt(changed) => Event::default()
            .event("rebuilt")
            .data(serde_json::json!({ "changed": changed }).to_string()),
        Message::Failed(report) => Event::default()
            .event("failed")
            .data(serde_json::json!({ "report": report }).to_string()),
    }
}

/// Serves a file of the site; pages get the reload script.
async fn file(State(shared): State<Arc<Shared>>, method: Method, uri: Uri) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let site = match shared.site.read() {
        Ok(site) => site.clone(),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let path = match locate(&site, uri.path()) {
        Located::File(path) => path,
        Located::Folder => {
            // Relative to the request, so that `//host` never reads as another site's
            // address; `./` so that a name with a colon never reads as a scheme.
            let name = uri.path().rsplit('/').next().unwrap_or_default();
            let to = format!("./{name}/");
            return (StatusCode::PERMANENT_REDIRECT, [(header::LOCATION, to)]).into_response();
        }
        Located::Missing => {
            return page_response(StatusCode::NOT_FOUND, NOT_FOUND.as_bytes().to_vec());
        }
        Located::Refused => return (StatusCode::FORBIDDEN, "refused\n").into_response(),
    };
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(_) => return StatusCode::NOT_FOUND.into_response(),
    };
    let kind = content_type(&path);
    if kind.starts_with("text/html") {
        return page_response(StatusCode::OK, bytes);
    }
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// What a missing page shows (it reloads when a rebuild writes it).
const NOT_FOUND: &str =
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Not found</title></head>\
<body><h1>Not found</h1><p>The site has no page at this address.</p></body></html>\n";

/// A page with the reload script before its `</body>` (or at its end).
fn page_response(status: StatusCode, mut page: Vec<u8>) -> Response {
    let script = format!("<script>{}</script>", include_str!("serve.js"));
    let at = page
        .windows(7)
        .rposition(|w| w == b"</body>")
        .unwrap_or(page.len());
    page.splice(at..at, script.bytes());
    let mut response = Response::new(Body::from(page));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

enum Located {
    File(PathBuf),
    /// A folder asked for without its closing `/`: relative links need it.
    Folder,
    Missing,
    Refused,
}

/// The file of the site that a request path names. Only a plain path below the site
/// folder is served: `.` and `..` segments (also percent-encoded), backslashes, NULs and
/// anything whose real path (through symlinks) leaves the folder are refused.
fn locate(site: &Path, request: &str) -> Located {
    let Ok(decoded) = percent_encoding::percent_decode_str(request).decode_utf8() else {
        return Located::Refused;
    };
    if decoded.contains(['\\', '\0']) {
        return Located::Refused;
    }
    let mut path = site.to_path_buf();
    for segment in decoded.split('/').filter(|s| !s.is_empty()) {
        if segment == "." || segment == ".." {
            return Located::Refused;
        }
        path.push(segment);
    }
    if path.is_dir() {
        if !decoded.ends_with('/') {
            return Located::Folder;
        }
        path.push("index.html");
    }
    let (Ok(real), Ok(real_site)) = (path.canonicalize(), site.canonicalize()) else {
        return Located::Missing;
    };
    if !real.starts_with(&real_site) {
        return Located::Refused;
    }
    if real.is_file() {
        Located::File(real)
    } else {
        Located::Missing
    }
}

fn content_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match extension.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("json" | "ipynb") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        Some("ttf") => "font/ttf",
        Some("otf") => "font/otf",
        Some("pdf") => "application/pdf",
        Some("txt" | "md" | "bib") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
