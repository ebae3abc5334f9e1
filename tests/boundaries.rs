//! Files are written, read and deleted only where they belong: toc entries that leave the
//! source folder, output folders that would hold the book, `clean` on folders d2lbook did
//! not make, symlinks and absolute paths that reach outside the book, devices, and the
//! leftovers of interrupted builds.

mod common;
use common::TempBook;
use std::path::Path;

const TOML: &str = "[book]\ntitle = \"T\"\nsrc = \"src\"\n";

fn book_with(toml: &str, index: &str) -> TempBook {
    TempBook::empty("bound").with(&[
        ("book.toml", toml),
        ("src/index.md", index),
        ("src/sec.md", "# Sec\n\nText.\n"),
    ])
}

/// A folder beside the book (removed with it): `<book>-outside`.
fn outside(book: &TempBook) -> std::path::PathBuf {
    let dir = book.root.with_extension("outside");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Cleanup(std::path::PathBuf);
impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn toc_entry_outside_the_source_folder_is_an_error_and_writes_nothing_there() {
    let book = book_with(TOML, "# T\n");
    let out = outside(&book);
    let name = out.file_name().unwrap().to_string_lossy().into_owned();
    book.write(
        "src/index.md",
        &format!("# T\n\n```toc\n:numbered:\n\nsec\n../../{name}/notes\n../notes\n```\n"),
    );
    let _c = Cleanup(out.clone());
    // Files a careless entry could reach, with an `X.html` beside them to overwrite.
    std::fs::write(out.join("notes.md"), "# Notes\n").unwrap();
    std::fs::write(out.join("notes.html"), "precious").unwrap();
    book.write("notes.md", "# Notes at the root\n");
    let run = book.build_html();
    assert!(!run.ok, "{}", run.stderr);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains(
            "error: toc entry '../notes' cannot be used: it is outside the source folder src/"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--> src/index.md:8:1"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(&format!(
        "error: toc entry '../../{name}/notes' cannot be used"
    )));
    assert!(
        run.stderr.contains("--> src/index.md:7:1"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(out.join("notes.html")).unwrap(),
        "precious"
    );
    assert!(!book.root.join("_build/notes.html").exists());
    assert!(!book.root.join("notes.html").exists());
}

#[test]
fn toc_entry_through_a_symlink_out_of_the_book_is_refused() {
    let book = book_with(TOML, "# T\n\n```toc\nsec\nlink/notes\n```\n");
    let out = outside(&book);
    let _c = Cleanup(out.clone());
    std::fs::write(out.join("notes.md"), "# Secret notes\n").unwrap();
    std::os::unix::fs::symlink(&out, book.root.join("src/link")).unwrap();
    let run = book.build_html();
    assert!(!run.ok);
    assert!(
        run.stderr
            .contains("error: toc entry 'link/notes' cannot be used: it resolves to"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("outside the book"), "{}", run.stderr);
    assert!(
        run.stderr.contains("--> src/index.md:5:1"),
        "{}",
        run.stderr
    );
}

#[test]
fn output_dir_that_would_hold_the_book_is_refused_by_build_and_clean() {
    for (value, why) in [
        ("", "is not a folder strictly inside the book root"),
        (".", "is not a folder strictly inside the book root"),
        ("./", "is not a folder strictly inside the book root"),
        ("..", "is not a folder strictly inside the book root"),
        ("../out", "is not a folder strictly inside the book root"),
        ("/tmp", "is not a folder strictly inside the book root"),
        ("src", "would hold the book's own `src`"),
        ("src/..", "is not a folder strictly inside the book root"),
        ("theme", "would hold the book's own `theme`"),
    ] {
        let toml =
            format!("[book]\ntitle = \"T\"\nsrc = \"src\"\n\n[build]\noutput_dir = \"{value}\"\n");
        let book = book_with(&toml, "# T\n\n```toc\nsec\n```\n");
        let expected = format!("error: `[build] output_dir = \"{value}\"` {why}");
        for args in [&["build", "html"][..], &["clean"][..]] {
            let run = book.run(args);
            assert_eq!(run.code, Some(1), "{value} {args:?}: {}", run.stderr);
            assert!(run.stderr.contains(&expected), "{value}: {}", run.stderr);
            assert!(run.stderr.contains("--> book.toml:6:1"), "{}", run.stderr);
            assert!(run.stderr.contains("6 | output_dir ="), "{}", run.stderr);
        }
        // Nothing of the book was touched.
        assert!(book.root.join("book.toml").is_file(), "{value}");
        assert!(book.root.join("src/index.md").is_file(), "{value}");
        assert!(book.root.join("src/sec.md").is_file(), "{value}");
        assert!(book.root.parent().unwrap().is_dir());
    }
}

#[test]
fn output_dir_symlinked_out_of_the_book_is_refused() {
    let book = book_with(
        "[book]\ntitle = \"T\"\nsrc = \"src\"\n[build]\noutput_dir = \"out\"\n",
        "# T\n",
    );
    let elsewhere = outside(&book);
    let _c = Cleanup(elsewhere.clone());
    std::fs::write(elsewhere.join("keep.txt"), "keep").unwrap();
    std::os::unix::fs::symlink(&elsewhere, book.root.join("out")).unwrap();
    for args in [&["build", "html"][..], &["clean"][..]] {
        let run = book.run(args);
        assert_eq!(run.code, Some(1), "{}", run.stderr);
        assert!(
            run.stderr
                .contains("`[build] output_dir = \"out\"` resolves to"),
            "{}",
            run.stderr
        );
    }
    assert!(elsewhere.join("keep.txt").is_file());
    assert!(!elsewhere.join("html").exists());
}

#[test]
fn clean_removes_only_what_d2lbook_made() {
    let book = book_with(TOML, "# T\n\n```toc\nsec\n```\n");
    // Nothing built yet: nothing to remove.
    let run = book.run(&["clean"]);
    assert!(run.ok, "{}", run.stderr);
    assert!(run.stderr.contains("nothing to remove"), "{}", run.stderr);

    assert!(book.build_html().ok);
    assert!(book.root.join("_build/.d2lbook-output").is_file());
    let run = book.run(&["clean"]);
    assert!(run.ok, "{}", run.stderr);
    assert!(run.stderr.contains("removed _build"), "{}", run.stderr);
    assert!(!book.root.join("_build").exists());
    assert!(book.root.join("src/index.md").is_file());

    // A folder of the author's, named as the output folder: neither built into nor removed.
    book.write("_build/notes.txt", "mine");
    let run = book.run(&["clean"]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("refusing to remove") && run.stderr.contains("d2lbook did not make it"),
        "{}",
        run.stderr
    );
    let run = book.build_html();
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("holds files d2lbook did not write"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(book.root.join("_build/notes.txt")).unwrap(),
        "mine"
    );
    assert!(!book.root.join("_build/html").exists());

    // An output folder of an older d2lbook (no mark, only what d2lbook writes) is adopted.
    std::fs::remove_file(book.root.join("_build/notes.txt")).unwrap();
    book.write("_build/html/index.html", "old site");
    book.write("_build/cache/math.json", "{}");
    assert!(book.run(&["clean"]).ok);
    assert!(!book.root.join("_build").exists());
}

#[test]
fn symlinked_and_absolute_files_do_not_leak_into_the_site() {
    let book = book_with(
        "[book]\ntitle = \"T\"\nsrc = \"src\"\n[html]\nlogo = \"/etc/hostname\"\n",
        "# T\n\n```toc\nsec\n```\n",
    );
    let out = outside(&book);
    let _c = Cleanup(out.clone());
    std::fs::write(out.join("secret.png"), "SECRET-IMAGE").unwrap();
    std::fs::write(out.join("secret.html"), "<p>SECRET-HTML</p>").unwrap();
    std::os::unix::fs::symlink(&out, book.root.join("src/link")).unwrap();
    // A FIFO inside the book: reading it would block forever.
    let fifo = book.root.join("src/fifo.html");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let secret_html = out.join("secret.html");
    book.write(
        "src/sec.md",
        &format!(
            "# Sec\n\n![x](link/secret.png)\n\n```eval_rst\n.. raw:: html\n   :file: {}\n```\n\n```eval_rst\n.. raw:: html\n   :file: ../../{}/secret.html\n```\n\n```eval_rst\n.. raw:: html\n   :file: /dev/zero\n```\n\n```eval_rst\n.. raw:: html\n   :file: fifo.html\n```\n",
            secret_html.display(),
            out.file_name().unwrap().to_string_lossy()
        ),
    );
    let run = book.build_html();
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let stderr = &run.stderr;
    assert!(
        stderr.contains("error: image 'link/secret.png' cannot be used: it resolves to"),
        "{stderr}"
    );
    assert!(stderr.contains("--> src/sec.md:3:1"), "{stderr}");
    assert!(
        stderr.contains("`[html] logo = \"/etc/hostname\"` cannot be used: it resolves to"),
        "{stderr}"
    );
    assert_eq!(
        stderr.matches("error: cannot read raw html file").count(),
        4,
        "{stderr}"
    );
    assert!(stderr.contains("--> src/sec.md:5:1"), "{stderr}");
    assert!(
        stderr.contains("'/dev/zero': it resolves to /dev/zero, outside the book"),
        "{stderr}"
    );
    assert!(
        stderr.contains("'fifo.html': it is not a regular file"),
        "{stderr}"
    );
    assert!(!book.root.join("_build/html").exists());

    // With the folder allowed, the same book builds and shows the files.
    let allowed = format!(
        "[book]\ntitle = \"T\"\nsrc = \"src\"\n[build]\nallow_outside = [\"{}\"]\n",
        out.display()
    );
    book.write("book.toml", &allowed);
    book.write(
        "src/sec.md",
        &format!(
            "# Sec\n\n![x](link/secret.png)\n\n```eval_rst\n.. raw:: html\n   :file: {}\n```\n",
            secret_html.display()
        ),
    );
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    assert!(book.page("sec.html").contains("SECRET-HTML"));
    assert_eq!(
        std::fs::read_to_string(book.root.join("_build/html/link/secret.png")).unwrap(),
        "SECRET-IMAGE"
    );
}

#[test]
fn leftovers_of_killed_builds_are_removed() {
    let book = book_with(TOML, "# T\n\n```toc\nsec\n```\n");
    assert!(book.build_html().ok);
    // A pid that cannot be running: above the kernel's limit.
    let dead = 4_194_400;
    let build = book.root.join("_build");
    for name in [format!(".html.tmp-{dead}"), format!(".html.old-{dead}")] {
        std::fs::create_dir_all(build.join(&name).join("sub")).unwrap();
        std::fs::write(build.join(&name).join("sub/page.html"), "x").unwrap();
    }
    std::fs::create_dir_all(build.join("pdf")).unwrap();
    std::fs::write(build.join(format!("pdf/.book.pdf.tmp-{dead}")), "x").unwrap();
    // One of a build still running (this test's own process) is kept.
    let live = format!(".html.tmp-{}", std::process::id());
    std::fs::create_dir_all(build.join(&live)).unwrap();
    assert!(book.build_html().ok);
    let left: Vec<String> = std::fs::read_dir(&build)
        .unwrap()
        .chain(std::fs::read_dir(build.join("pdf")).unwrap())
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".html") || n.starts_with(".book"))
        .collect();
    assert_eq!(left, vec![live], "only the live build's folder stays");
    assert!(Path::new(&build.join("html/sec.html")).is_file());
}

#[test]
fn bibliography_templates_and_source_folder_outside_the_book_are_refused() {
    let book = book_with(
        "[book]\ntitle = \"T\"\nsrc = \"src\"\nbibliography = \"refs.bib\"\n",
        "# T\n\n```toc\nsec\n```\n",
    );
    let out = outside(&book);
    let _c = Cleanup(out.clone());
    std::fs::write(
        out.join("refs.bib"),
        "@book{k, title = {Secret}, author = {A}, year = {2020}}\n",
    )
    .unwrap();
    std::fs::write(out.join("page.html"), "SECRET-TEMPLATE").unwrap();
    std::os::unix::fs::symlink(out.join("refs.bib"), book.root.join("refs.bib")).unwrap();
    std::fs::create_dir_all(book.root.join("templates")).unwrap();
    std::os::unix::fs::symlink(out.join("page.html"), book.root.join("templates/page.html"))
        .unwrap();
    book.write(
        "src/sec.md",
        "# Sec\n\nSee :cite:`k`.\n\n:bibliography:`refs.bib`\n",
    );
    let run = book.build_html();
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("error: cannot read the bibliography refs.bib: it resolves to"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("templates/page.html: it resolves to"),
        "{}",
        run.stderr
    );
    assert!(!book.root.join("_build/html").exists());

    // A source folder outside the book is refused before anything is read.
    book.write("book.toml", "[book]\ntitle = \"T\"\nsrc = \"..\"\n");
    let run = book.build_html();
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains(
            "error: the source folder `[book] src = \"..\"` cannot be used: it resolves to"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn pdf_images_and_templates_outside_the_book_are_refused() {
    let book = book_with(TOML, "# T\n\n```toc\nsec\n```\n");
    let out = outside(&book);
    let _c = Cleanup(out.clone());
    std::fs::write(
        out.join("secret.svg"),
        "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
    )
    .unwrap();
    std::os::unix::fs::symlink(&out, book.root.join("src/link")).unwrap();
    book.write("src/sec.md", "# Sec\n\n![x](link/secret.svg)\n");
    let run = book.run(&["build", "pdf", "--no-eval"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("error: image 'link/secret.svg' cannot be used: it resolves to"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--> src/sec.md:3:1"), "{}", run.stderr);

    book.write("src/sec.md", "# Sec\n");
    std::fs::write(out.join("book.typ"), "SECRET").unwrap();
    std::fs::create_dir_all(book.root.join("templates")).unwrap();
    std::os::unix::fs::symlink(out.join("book.typ"), book.root.join("templates/book.typ")).unwrap();
    let run = book.run(&["build", "pdf", "--no-eval"]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("templates/book.typ: it resolves to"),
        "{}",
        run.stderr
    );
    assert!(!book
        .root
        .join("_build/pdf")
        .read_dir()
        .is_ok_and(|mut d| d.any(|e| e.unwrap().file_name().to_string_lossy().ends_with(".pdf"))));
}
