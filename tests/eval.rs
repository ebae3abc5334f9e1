//! Executing Rust cells: shared bindings, displays of each kind, streams, errors located
//! in the chapter, timeouts, the output cap, hide marks, `build lib`, and the cache.

mod common;
use common::TempBook;

/// A book whose cells use the repository's d2l library; `sections` are (name, body).
fn book(sections: &[(&str, &str)], extra_toml: &str) -> TempBook {
    let library = concat!(env!("CARGO_MANIFEST_DIR"), "/d2l-lib");
    let toc: Vec<&str> = sections.iter().map(|(name, _)| *name).collect();
    let book = TempBook::empty("eval").with(&[
        (
            "book.toml",
            &format!("[book]\ntitle = \"E\"\nsrc = \"src\"\n[eval]\nlibrary = \"{library}\"\n{extra_toml}"),
        ),
        ("src/index.md", &format!("# E\n\n```toc\n:numbered:\n\n{}\n```\n", toc.join("\n"))),
    ]);
    for (name, body) in sections {
        book.write(&format!("src/{name}.md"), body);
    }
    book
}

fn cell(code: &str) -> String {
    format!("```{{.rust .input}}\n{code}\n```\n\n")
}

#[test]
fn cells_share_bindings_and_show_values_of_each_kind() {
    let body = [
        "# Values\n\n".to_string(),
        cell("let x = Tensor::arange(0f32, 6., &Device::Cpu)?.reshape((2, 3))?;\nx"),
        cell("let y = (&x * 2.0)?;\nprintln!(\"to stdout\");\neprintln!(\"to stderr\");\ny.sum_all()?"),
        cell("let s = String::from(\"displayed\");\ns"),
        cell("#[derive(Debug)]\nstruct P { a: i32 }\nP { a: 7 }"),
        cell("let unit = ();\nunit"),
        cell("Plot::new().line(&[0.0, 1.0, 2.0], &[1.0, 0.5, 0.2], \"loss\").xlabel(\"epoch\").build()?"),
    ]
    .concat();
    let book = book(&[("values", &body)], "");
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    let page = book.page("values.html");
    let outputs: Vec<&str> = page.split("<div class=\"cell\">").skip(1).collect();
    assert_eq!(outputs.len(), 6, "{page}");
    assert!(
        outputs[0].contains("<caption>Tensor[2, 3] f32</caption>"),
        "{}",
        outputs[0]
    );
    assert!(outputs[0].contains("<td>5</td>"));
    assert!(
        outputs[1].contains("<div class=\"output output-text\"><pre>to stdout</pre></div>"),
        "{}",
        outputs[1]
    );
    assert!(outputs[1].contains("<div class=\"output output-stderr\"><pre>to stderr</pre></div>"));
    assert!(
        outputs[1].contains("<td>30</td>"),
        "y = 2x is shared from the cell before: {}",
        outputs[1]
    );
    assert!(outputs[2].contains("<pre>displayed</pre>"));
    assert!(
        outputs[3].contains("<pre>P { a: 7 }</pre>"),
        "Debug when there is no Display"
    );
    assert!(!outputs[4].contains("cell-outputs"), "() shows nothing");
    assert!(
        outputs[5].contains("<div class=\"output output-svg\"><svg"),
        "{}",
        outputs[5]
    );
    assert!(outputs[5].contains("loss") && outputs[5].contains("epoch"));
}

#[test]
fn compile_errors_are_located_in_the_chapter() {
    let body = format!(
        "# Broken\n\nText.\n\n{}",
        cell("let a = 1;\nlet b = a + undefined_name;")
    );
    let book = book(&[("broken", &body)], "");
    let run = book.build_html();
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stderr.contains("error: cell does not compile: [E0425] cannot find value `undefined_name` in this scope"), "{}", run.stderr);
    assert!(
        run.stderr.contains("--> src/broken.md:7:13"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("7 | let b = a + undefined_name;"),
        "{}",
        run.stderr
    );
    // Under the cell, rustc's message with the chapter's location.
    let body = body.replace("let b", "//@allow_error\nlet b");
    book.write("src/broken.md", &body);
    assert!(book.build_html().ok);
    let page = book.page("broken.html");
    assert!(
        page.contains("<pre>error[E0425]: cannot find value `undefined_name` in this scope: not found in this scope\n  --&gt; src/broken.md:8:13"),
        "{page}"
    );
}

#[test]
fn panics_and_errors_show_under_their_cell_and_stop_the_section() {
    let body = [
        "# Fails\n\n".to_string(),
        cell("println!(\"before\");"),
        cell("let v: Vec<i32> = Vec::new();\nlet first = v[3];"),
        cell("println!(\"never\");"),
    ]
    .concat();
    let book = book(&[("fails", &body)], "");
    let run = book.run(&["build", "eval"]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .contains("error: cell panicked: index out of bounds"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--> src/fails.md:9:14"),
        "{}",
        run.stderr
    );

    // With //@allow_error the build goes on and the page shows the panic and the note.
    let allowed = body.replace("let v:", "//@allow_error\nlet v:");
    book.write("src/fails.md", &allowed);
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    let page = book.page("fails.html");
    assert!(page.contains("<div class=\"output output-error\"><pre>panicked at src/fails.md:10:14:\nindex out of bounds"), "{page}");
    assert!(
        page.contains("<div class=\"output output-note\">not run: an earlier cell failed</div>")
    );
    assert!(!page.contains("never</pre>"));

    // An `Err` returned with `?` is an error of its cell.
    book.write(
        "src/fails.md",
        &format!("# Err\n\n{}", cell("let n: i32 = \"x\".parse()?;")),
    );
    let run = book.build_html();
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .contains("error: cell returned an error: invalid digit found in string"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_timeout_names_the_section_and_cell() {
    let body = [
        "# Slow\n\n".to_string(),
        cell("let a = 1;"),
        cell("std::thread::sleep(std::time::Duration::from_secs(30));"),
    ]
    .concat();
    let book = book(&[("slow", &body)], "timeout = 1\n");
    let run = book.build_html();
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr
            .contains("error: timed out after 1 s in cell 2 of src/slow.md"),
        "{}",
        run.stderr
    );
}

#[test]
fn long_output_is_cut_with_a_note() {
    let body = format!(
        "# Loud\n\n{}",
        cell("for i in 0..20000 { println!(\"line {i} of a long output\"); }")
    );
    let book = book(&[("loud", &body)], "");
    assert!(book.build_html().ok);
    let page = book.page("loud.html");
    assert!(page.contains("line 0 of a long output"));
    assert!(!page.contains("line 19999 of"));
    assert!(
        page.contains("<div class=\"output output-note\">output cut: "),
        "{page}"
    );
}

#[test]
fn hide_marks() {
    let body = [
        "# Hidden\n\n".to_string(),
        cell("//@hide\nprintln!(\"secret setup\");"),
        cell("//@hide_code\nprintln!(\"only the output\");"),
        cell("//@hide_output\nprintln!(\"only the code\");"),
    ]
    .concat();
    let book = book(&[("hidden", &body)], "");
    assert!(book.build_html().ok);
    let page = book.page("hidden.html");
    assert!(!page.contains("secret setup"));
    assert!(page.contains("<pre>only the output</pre>") && !page.contains("hide_code"));
    assert!(page.contains("only the code") && !page.contains("<pre>only the code</pre>"));
}

#[test]
fn cache_reruns_only_what_changed() {
    let a = format!("# A\n\nProse.\n\n{}", cell("println!(\"a\");"));
    let b = format!("# B\n\n{}", cell("println!(\"b\");"));
    let book = book(&[("a", &a), ("b", &b)], "");
    let first = book.build_html();
    assert!(
        first
            .stderr
            .contains("eval: 2 sections with Rust cells, 2 run, 0 from cache"),
        "{}",
        first.stderr
    );
    book.write("src/a.md", &a.replace("Prose.", "Edited prose."));
    let prose = book.build_html();
    assert!(
        prose
            .stderr
            .contains("2 sections with Rust cells, 0 run, 2 from cache"),
        "{}",
        prose.stderr
    );
    book.write("src/b.md", &b.replace("\"b\"", "\"b2\""));
    let code = book.build_html();
    assert!(
        code.stderr
            .contains("2 sections with Rust cells, 1 run, 1 from cache"),
        "{}",
        code.stderr
    );
    assert!(book.page("b.html").contains("<pre>b2</pre>"));
    // Failures are cached too, and still fail the build.
    book.write("src/b.md", &format!("# B\n\n{}", cell("panic!(\"boom\");")));
    assert_eq!(book.build_html().code, Some(1));
    let again = book.build_html();
    assert_eq!(again.code, Some(1));
    assert!(
        again.stderr.contains("0 run, 2 from cache")
            && again.stderr.contains("cell panicked: boom"),
        "{}",
        again.stderr
    );
    // --no-eval shows the cells without running anything.
    let plain = book.run(&["build", "html", "--no-eval"]);
    assert!(
        plain.ok && !plain.stderr.contains("eval:"),
        "{}",
        plain.stderr
    );
}

#[test]
fn build_lib_collects_saved_items_in_book_order() {
    let a = format!(
        "# A\n\n{}",
        cell("fn twice(x: f32) -> f32 { //@save\n    2.0 * x\n}\ntwice(2.0)")
    );
    let b = format!("# B\n\n{}", cell("//@save\nstruct Pair {\n    a: i32,\n}"));
    let book = book(&[("a", &a), ("b", &b)], "");
    // The library of this test is the repository's: write into a copy of its module.
    let module = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/d2l-lib/src/generated.rs"
    ))
    .unwrap();
    let lib = book.root.join("lib");
    std::fs::create_dir_all(lib.join("src")).unwrap();
    std::fs::write(lib.join("src/generated.rs"), &module).unwrap();
    let toml = std::fs::read_to_string(book.root.join("book.toml")).unwrap();
    let toml = toml.replace(concat!(env!("CARGO_MANIFEST_DIR"), "/d2l-lib"), "lib");
    book.write("book.toml", &toml);

    let stale = book.run(&["build", "lib", "--check"]);
    assert_eq!(stale.code, Some(1));
    assert!(
        stale
            .stderr
            .contains("error: lib/src/generated.rs is stale"),
        "{}",
        stale.stderr
    );
    let written = book.run(&["build", "lib"]);
    assert!(written.ok, "{}", written.stderr);
    let generated = std::fs::read_to_string(lib.join("src/generated.rs")).unwrap();
    assert!(generated.starts_with("// Generated by `d2lbook build lib`"));
    let twice = generated
        .find("// From src/a.md\n\npub fn twice(x: f32) -> f32 {\n    2.0 * x\n}")
        .expect(&generated);
    let pair = generated
        .find("// From src/b.md\n\npub struct Pair {\n    pub a: i32,\n}")
        .expect(&generated);
    assert!(twice < pair, "book order");
    assert!(
        !generated.contains("twice(2.0)"),
        "only the item, not the call"
    );
    let again = book.run(&["build", "lib", "--check"]);
    assert!(
        again.ok && again.stderr.contains("is up to date"),
        "{}",
        again.stderr
    );
}
