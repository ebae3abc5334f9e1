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
        outputs[0].contains("<figcaption>Tensor[2, 3] f32</figcaption>"),
        "{}",
        outputs[0]
    );
    assert!(outputs[0].contains("<td>5</td>"));
    assert!(
        outputs[1].contains(
            "<div class=\"output output-text\"><pre tabindex=\"0\">to stdout</pre></div>"
        ),
        "{}",
        outputs[1]
    );
    assert!(outputs[1]
        .contains("<div class=\"output output-stderr\"><pre tabindex=\"0\">to stderr</pre></div>"));
    assert!(
        outputs[1].contains("<td>30</td>"),
        "y = 2x is shared from the cell before: {}",
        outputs[1]
    );
    assert!(outputs[2].contains("<pre tabindex=\"0\">displayed</pre>"));
    assert!(
        outputs[3].contains("<pre tabindex=\"0\">P { a: 7 }</pre>"),
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
fn tensors_are_tables_built_from_their_data_also_from_the_cache() {
    let body = [
        "# Tensors\n\n".to_string(),
        cell("Tensor::new(&[[1f32, 2.5], [3., 4.]], &Device::Cpu)?"),
        cell("Tensor::new(&[7u32, 8, 9], &Device::Cpu)?.sum_all()?"),
        cell("Tensor::new(&[1e-5f64, 1.0], &Device::Cpu)?"),
        cell("Tensor::zeros((30, 2), DType::F32, &Device::Cpu)?"),
    ]
    .concat();
    let book = book(&[("tensors", &body)], "");
    let mut pages = Vec::new();
    for _ in 0..2 {
        let run = book.build_html();
        assert!(run.ok, "{}", run.stderr);
        pages.push(book.page("tensors.html"));
    }
    assert_eq!(pages[0], pages[1], "the cached outputs show the same");
    let outputs = cell_outputs(&pages[0]);
    assert_eq!(outputs.len(), 4, "{}", pages[0]);
    assert!(
        outputs[0].contains(
            "<figure class=\"output output-tensor\" tabindex=\"0\"><figcaption>Tensor[2, 2] f32</figcaption>\
             <table class=\"tensor\"><tbody>\
             <tr><td>1.0000</td><td>2.5000</td></tr><tr><td>3.0000</td><td>4.0000</td></tr>\
             </tbody></table></figure>"
        ),
        "{}",
        outputs[0]
    );
    assert!(
        outputs[1].contains(
            "<figcaption>Tensor[] u32</figcaption><table class=\"tensor\"><tbody><tr><td>24</td></tr>"
        ),
        "{}",
        outputs[1]
    );
    assert!(
        outputs[2].contains("<tr><td>1.0000e-5</td><td>1.0000e0</td></tr>"),
        "{}",
        outputs[2]
    );
    // A large tensor is candle's text.
    assert!(
        outputs[3].contains("<div class=\"output output-text\"><pre tabindex=\"0\">")
            && outputs[3].contains("Tensor[[30, 2], f32]")
            && !outputs[3].contains("<table"),
        "{}",
        outputs[3]
    );
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
        page.contains("<pre tabindex=\"0\">error[E0425]: cannot find value `undefined_name` in this scope: not found in this scope\n  --&gt; src/broken.md:8:13"),
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
    assert!(page.contains("<div class=\"output output-error\"><pre tabindex=\"0\">panicked at src/fails.md:10:14:\nindex out of bounds"), "{page}");
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
    // A timeout may not happen again: it is not cached.
    let again = book.build_html();
    assert_eq!(again.code, Some(1));
    assert!(
        again.stderr.contains("1 run, 0 from cache"),
        "{}",
        again.stderr
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
    assert!(
        page.contains("<pre tabindex=\"0\">only the output</pre>") && !page.contains("hide_code")
    );
    assert!(
        page.contains("only the code") && !page.contains("<pre tabindex=\"0\">only the code</pre>")
    );
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
    assert!(book.page("b.html").contains("<pre tabindex=\"0\">b2</pre>"));
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
fn a_book_moved_elsewhere_keeps_its_outputs_after_its_first_cargo_build() {
    let a = format!("# A\n\n{}", cell("println!(\"a\");"));
    let b = format!("# B\n\n{}", cell("println!(\"b\");"));
    let book = book(&[("a", &a), ("b", &b)], "");
    assert!(book.build_html().ok);
    // The same book, `_build` included, in another folder (a clone, a CI runner's
    // checkout, a renamed project): its generated package gets another name.
    let moved = TempBook::empty("moved");
    common::copy_dir(&book.root, &moved.root);
    let cached = moved.build_html();
    assert!(
        cached
            .stderr
            .contains("2 sections with Rust cells, 0 run, 2 from cache"),
        "{}",
        cached.stderr
    );
    // The first edit there builds through cargo, which writes the new name into the
    // package's lock file; the other section's outputs must survive that.
    moved.write("src/a.md", &a.replace("\"a\"", "\"a2\""));
    let edited = moved.build_html();
    assert!(
        edited
            .stderr
            .contains("2 sections with Rust cells, 1 run, 1 from cache"),
        "{}",
        edited.stderr
    );
    for (text, runs) in [("a3", "1 run, 1 from cache"), ("a3", "0 run, 2 from cache")] {
        moved.write("src/a.md", &a.replace("\"a\"", &format!("\"{text}\"")));
        let again = moved.build_html();
        assert!(again.stderr.contains(runs), "{}", again.stderr);
    }
    assert!(moved
        .page("a.html")
        .contains("<pre tabindex=\"0\">a3</pre>"));
    assert!(moved.page("b.html").contains("<pre tabindex=\"0\">b</pre>"));
}

#[test]
fn after_a_cell_edit_the_search_index_is_that_of_a_cold_build() {
    // `build html` indexes the pages while the cells run: the index must still be the
    // edited book's, found by a word only the edit brings.
    let a = format!("# A\n\nProse.\n\n{}", cell("let word = \"alpha\";\nword"));
    let book = book(&[("a", &a)], "");
    assert!(book.build_html().ok);
    let edited = a.replace("alpha", "zeugma");
    book.write("src/a.md", &edited);
    let run = book.build_html();
    assert!(
        run.ok && run.stderr.contains("1 run, 0 from cache"),
        "{}",
        run.stderr
    );
    assert!(book.page("a.html").contains("zeugma"));
    let cold = self::book(&[("a", &edited)], "");
    assert!(cold.build_html().ok);
    let index = |b: &TempBook| common::tree(&b.root.join("_build/html/pagefind"));
    let (ours, theirs) = (index(&book), index(&cold));
    assert!(ours.len() > 3, "{:?}", ours.keys());
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        theirs.keys().collect::<Vec<_>>()
    );
    let differ: Vec<&String> = ours.keys().filter(|k| ours[*k] != theirs[*k]).collect();
    assert!(differ.is_empty(), "differ from a cold build: {differ:?}");
    // The index that went before it is another: the edit is in it.
    book.write("src/a.md", &a);
    assert!(book.build_html().ok);
    assert_ne!(index(&book), theirs);
}

#[test]
fn an_edited_cell_is_built_by_rustc_without_cargo_until_a_setting_changes() {
    // The program says whether the library is mapped into it as a shared object.
    let a = format!(
        "# A\n\n{}",
        cell(
            "let n = 1;\nprintln!(\"one {n}\");\n\
             let maps = std::fs::read_to_string(\"/proc/self/maps\").unwrap_or_default();\n\
             println!(\"shared {}\", maps.contains(\"/libd2l.so\"));"
        )
    );
    let shared = format!("shared {}", cfg!(target_os = "linux"));
    let book = book(&[("a", &a)], "");
    assert!(book.build_html().ok);
    assert!(book
        .page("a.html")
        .contains(&format!("<pre tabindex=\"0\">one 1\n{shared}</pre>")));
    // With no cargo to run, the edited section is built from the command cargo ran.
    let no_cargo = [("CARGO", "/nonexistent/cargo")];
    book.write("src/a.md", &a.replace("one", "two"));
    let edited = book.run_with_env(&["build", "html"], &no_cargo);
    assert!(edited.ok, "{}", edited.stderr);
    assert!(book
        .page("a.html")
        .contains(&format!("<pre tabindex=\"0\">two 1\n{shared}</pre>")));
    // Its compile errors are located in the chapter as cargo's are.
    book.write("src/a.md", &a.replace("let n = 1;", "let n = 1 + missing;"));
    let broken = book.run_with_env(&["build", "html"], &no_cargo);
    assert_eq!(broken.code, Some(1), "{}", broken.stderr);
    assert!(
        broken
            .stderr
            .contains("cannot find value `missing` in this scope")
            && broken.stderr.contains("--> src/a.md:4:13"),
        "{}",
        broken.stderr
    );
    // A changed setting is a new seed: cargo builds (here: cannot), and writes the
    // commands again.
    book.write("src/a.md", &a.replace("one", "three"));
    let toml = std::fs::read_to_string(book.root.join("book.toml")).unwrap();
    book.write("book.toml", &format!("{toml}timeout = 100\n"));
    let setting = book.run_with_env(&["build", "html"], &no_cargo);
    assert!(
        setting.stderr.contains("cannot run cargo"),
        "{}",
        setting.stderr
    );
    assert!(book.build_html().ok);
    book.write("src/a.md", &a.replace("one", "four"));
    let again = book.run_with_env(&["build", "html"], &no_cargo);
    assert!(again.ok, "{}", again.stderr);
    assert!(book
        .page("a.html")
        .contains(&format!("<pre tabindex=\"0\">four 1\n{shared}</pre>")));
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

#[test]
fn sections_of_two_books_and_alike_file_names_never_mix() {
    // Two books with a `same.md`, built at the same time in the shared target folder.
    let one = book(
        &[(
            "same",
            &format!("# Same\n\n{}", cell("println!(\"book one\");")),
        )],
        "",
    );
    let two = book(
        &[(
            "same",
            &format!("# Same\n\n{}", cell("println!(\"book two\");")),
        )],
        "",
    );
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| one.build_html());
        let b = s.spawn(|| two.build_html());
        (a.join().unwrap(), b.join().unwrap())
    });
    assert!(a.ok, "{}", a.stderr);
    assert!(b.ok, "{}", b.stderr);
    assert!(one
        .page("same.html")
        .contains("<pre tabindex=\"0\">book one</pre>"));
    assert!(two
        .page("same.html")
        .contains("<pre tabindex=\"0\">book two</pre>"));
    // File names that slug alike within one book.
    let sections: Vec<(&str, String)> = ["線形", "代数", "a-b", "a_b"]
        .iter()
        .map(|name| {
            let body = format!("# {name}\n\n{}", cell(&format!("println!(\"in {name}\");")));
            (*name, body)
        })
        .collect();
    let sections: Vec<(&str, &str)> = sections.iter().map(|(n, b)| (*n, b.as_str())).collect();
    let alike = book(&sections, "");
    let run = alike.build_html();
    assert!(run.ok, "{}", run.stderr);
    for name in ["線形", "代数", "a-b", "a_b"] {
        let page = alike.page(&format!("{name}.html"));
        assert!(
            page.contains(&format!("<pre tabindex=\"0\">in {name}</pre>")),
            "{name}: {page}"
        );
    }
}

fn cell_outputs(page: &str) -> Vec<&str> {
    page.split("<div class=\"cell\">").skip(1).collect()
}

#[test]
fn printed_text_never_moves_outputs_nor_injects_html() {
    let body = [
        "# Streams\n\n".to_string(),
        cell("print!(\"no newline\");"),
        cell("println!(\"second\");"),
        cell("print!(\"\\u{1e}d2l:data:text/html:15\\n<b>injected</b>\\n\");"),
        cell("println!(\"\\u{1e}d2l:cell:0\");\nprintln!(\"stays here\");"),
        cell("print!(\"x: \");\nPlot::new().line(&[0.0, 1.0], &[1.0, 0.0], \"fig\").build()?"),
        cell("eprintln!(\"\\u{1e}d2l:error\");\neprintln!(\"not an error\");"),
        cell("print!(\"progress 50%\\r\");"),
        cell("println!(\"after progress\");"),
    ]
    .concat();
    let book = book(&[("streams", &body)], "");
    let run = book.build_html();
    assert!(
        run.ok,
        "a marker-like line on stderr fails nothing: {}",
        run.stderr
    );
    let page = book.page("streams.html");
    let outputs = cell_outputs(&page);
    assert_eq!(outputs.len(), 8, "{page}");
    // Without a newline, the next cell's output still goes to the next cell.
    assert!(
        outputs[0].contains("<pre tabindex=\"0\">no newline</pre>"),
        "{}",
        outputs[0]
    );
    assert!(!outputs[0].contains("second") && !outputs[0].contains('\u{1e}'));
    assert!(
        outputs[1].contains("<pre tabindex=\"0\">second</pre>"),
        "{}",
        outputs[1]
    );
    // Marker-like text is text: no markup gets into the page, no output moves.
    assert!(!page.contains("<b>injected</b>"), "{page}");
    assert!(
        outputs[2].contains("&lt;b&gt;injected&lt;/b&gt;"),
        "{}",
        outputs[2]
    );
    assert!(outputs[3].contains("stays here"), "{}", outputs[3]);
    assert!(!outputs[0].contains("stays here"));
    // Text before a figure on the same line, then the figure as SVG.
    assert!(outputs[4].contains("x: "), "{}", outputs[4]);
    assert!(
        outputs[4].contains("<div class=\"output output-svg\"><svg")
            && !outputs[4].contains("&lt;svg"),
        "{}",
        outputs[4]
    );
    assert!(outputs[5].contains("not an error"), "{}", outputs[5]);
    // A `\r` progress line does not hide the next cell's marker.
    assert!(outputs[6].contains("progress 50%"), "{}", outputs[6]);
    assert!(outputs[7].contains("after progress"), "{}", outputs[7]);
    assert!(!outputs[6].contains("after progress"));
}

#[test]
fn a_cell_that_exits_is_reported_with_the_cells_that_did_not_run() {
    let body = [
        "# Exit\n\n".to_string(),
        cell("println!(\"a\");"),
        cell("std::process::exit(0);"),
        cell("println!(\"never\");"),
        cell("println!(\"never either\");"),
    ]
    .concat();
    let book = book(&[("exit", &body)], "");
    let run = book.build_html();
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "error: cells 3–4 did not run: the program exited (exit status 0) in this cell"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--> src/exit.md:8:1"), "{}", run.stderr);
}

#[test]
fn a_panic_inside_std_points_at_the_running_cell() {
    let body = [
        "# Inside\n\n".to_string(),
        cell("let a = 1;"),
        cell("let b = 2;\nlet v: Vec<u64> = Vec::with_capacity(usize::MAX);"),
        cell("println!(\"never\");"),
    ]
    .concat();
    let book = book(&[("inside", &body)], "");
    let run = book.build_html();
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("error: cell panicked: capacity overflow"),
        "{}",
        run.stderr
    );
    // The real location (in alloc) in the message, the first line of the cell as place.
    assert!(run.stderr.contains("(at /rustc/"), "{}", run.stderr);
    assert!(
        run.stderr.contains("--> src/inside.md:8:1"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_flood_of_output_is_drained_and_cut() {
    // 100 MB on stdout: read to the end (the program never meets a closed pipe), cut to
    // 64 KiB with the note, and the next cell still has its output.
    let body = [
        "# Flood\n\n".to_string(),
        cell("let line = \"x\".repeat(1023);\nfor _ in 0..100_000 {\n    println!(\"{line}\");\n}"),
        cell("println!(\"after the flood\");"),
    ]
    .concat();
    let book = book(&[("flood", &body)], "");
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    let page = book.page("flood.html");
    assert!(
        page.contains("output cut: 102334464 more bytes not shown"),
        "{}",
        &page[page.len().saturating_sub(3000)..]
    );
    assert!(page.contains("<pre tabindex=\"0\">after the flood</pre>"));
}

#[test]
fn cells_get_a_minimal_environment_and_a_scratch_folder() {
    let body = format!(
        "# Env\n\n{}",
        cell(
            "let mut names: Vec<String> = std::env::vars().map(|(k, _)| k).collect();\n\
             names.sort();\n\
             println!(\"names={}\", names.join(\",\"));\n\
             println!(\"greeting={}\", std::env::var(\"GREETING\")?);\n\
             println!(\"cwd={}\", std::env::current_dir()?.display());"
        )
    );
    let book = book(&[("env", &body)], "env = { GREETING = \"hi\" }\n");
    let run = book.run_with_env(&["build", "html"], &[("D2LBOOK_TEST_SECRET", "x")]);
    assert!(run.ok, "{}", run.stderr);
    let page = book.page("env.html");
    assert!(page.contains("greeting=hi"), "{page}");
    assert!(
        page.contains("LANG,") && page.contains("D2L_EVAL,"),
        "{page}"
    );
    assert!(!page.contains("D2LBOOK_TEST_SECRET"), "{page}");
    assert!(
        !page.contains("CARGO"),
        "nothing of d2lbook's environment: {page}"
    );
    assert!(page.contains("/_build/eval/work/s_env_"), "{page}");
}

#[test]
fn cache_follows_included_files_inputs_path_crates_and_the_device() {
    let book = book(
        &[
            ("inc", &format!("# Inc\n\n{}", cell("include_str!(\"data.txt\")"))),
            (
                "inp",
                &format!(
                    "# Inp\n\n{}",
                    cell("let root = std::env::var(\"D2L_BOOK_ROOT\")?;\nstd::fs::read_to_string(format!(\"{root}/data/table.csv\"))?")
                ),
            ),
            ("dep", &format!("# Dep\n\n{}", cell("helper::word()"))),
        ],
        "inputs = [\"data/*.csv\"]\n[eval.dependencies]\nhelper = { path = \"helper\" }\n",
    )
    .with(&[
        ("src/data.txt", "first"),
        ("data/table.csv", "1,2"),
        (
            "helper/Cargo.toml",
            "[package]\nname = \"helper\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
        ),
        ("helper/src/lib.rs", "pub fn word() -> &'static str { \"one\" }\n"),
    ]);
    let first = book.build_html();
    assert!(first.ok, "{}", first.stderr);
    assert!(
        first.stderr.contains("3 run, 0 from cache")
            && first
                .stderr
                .contains("note: eval: `[eval] dependencies` changed"),
        "{}",
        first.stderr
    );
    assert!(book
        .page("inc.html")
        .contains("<pre tabindex=\"0\">first</pre>"));
    assert!(book
        .page("inp.html")
        .contains("<pre tabindex=\"0\">1,2</pre>"));
    assert!(book
        .page("dep.html")
        .contains("<pre tabindex=\"0\">one</pre>"));
    let again = book.build_html();
    assert!(
        again.stderr.contains("0 run, 3 from cache") && !again.stderr.contains("note: eval"),
        "offline once the dependencies are fetched: {}",
        again.stderr
    );
    book.write("src/data.txt", "second");
    let included = book.build_html();
    assert!(
        included.stderr.contains("1 run, 2 from cache"),
        "{}",
        included.stderr
    );
    assert!(book
        .page("inc.html")
        .contains("<pre tabindex=\"0\">second</pre>"));
    book.write("data/table.csv", "3,4");
    let input = book.build_html();
    assert!(
        input.stderr.contains("3 run, 0 from cache"),
        "{}",
        input.stderr
    );
    assert!(book
        .page("inp.html")
        .contains("<pre tabindex=\"0\">3,4</pre>"));
    book.write(
        "helper/src/lib.rs",
        "pub fn word() -> &'static str { \"two\" }\n",
    );
    let path_crate = book.build_html();
    assert!(
        path_crate.stderr.contains("3 run, 0 from cache"),
        "{}",
        path_crate.stderr
    );
    assert!(book
        .page("dep.html")
        .contains("<pre tabindex=\"0\">two</pre>"));
    let device = book.run_with_env(
        &["build", "html"],
        &[("CUDA_VISIBLE_DEVICES", "d2lbook-test")],
    );
    assert!(
        device.stderr.contains("3 run, 0 from cache"),
        "{}",
        device.stderr
    );
}

/// Processes whose command line starts with `args` (Linux: from `/proc`), not zombies.
#[cfg(target_os = "linux")]
fn processes(matches: impl Fn(&[&str]) -> bool) -> Vec<u32> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).into_owned();
        let args: Vec<&str> = cmdline.split('\0').collect();
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let zombie = stat
            .rsplit_once(") ")
            .is_some_and(|(_, s)| s.starts_with('Z'));
        if !zombie && matches(&args) {
            found.push(pid);
        }
    }
    found
}

#[cfg(target_os = "linux")]
fn wait_for(what: &str, limit: std::time::Duration, mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "waited {limit:?} for {what}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[cfg(target_os = "linux")]
#[test]
fn processes_started_by_cells_never_outlive_their_section() {
    let spawn = |seconds: &str| {
        format!("std::process::Command::new(\"sleep\").arg(\"{seconds}\").spawn()?;")
    };
    let sleeping = |seconds: &'static str| {
        move |args: &[&str]| args.len() >= 2 && args[0] == "sleep" && args[1] == seconds
    };
    // One program ends while its child holds the pipes; one runs past the timeout.
    let book = book(
        &[
            (
                "spawn",
                &format!(
                    "# Spawn\n\n{}",
                    cell(&format!("{}\nprintln!(\"spawned\");", spawn("40.125")))
                ),
            ),
            (
                "hold",
                &format!(
                    "# Hold\n\n{}",
                    cell(&format!(
                        "//@allow_error\n{}\nstd::thread::sleep(std::time::Duration::from_secs(60));",
                        spawn("40.375")
                    ))
                ),
            ),
            (
                // A child that leaves the group (as a daemon does) cannot be killed, but
                // it cannot hold the build either.
                "daemon",
                &format!(
                    "# Daemon\n\n{}",
                    cell("std::process::Command::new(\"setsid\").args([\"sleep\", \"40.625\"]).spawn()?;")
                ),
            ),
        ],
        "timeout = 3\n",
    );
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    assert!(book
        .page("hold.html")
        .contains("timed out after 3 s in cell 1 of src/hold.md"));
    let seconds: f64 = run
        .stderr
        .split("s, run ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{}", run.stderr));
    assert!(
        seconds < 15.0,
        "the build waited for the children: {}",
        run.stderr
    );
    assert!(book
        .page("spawn.html")
        .contains("<pre tabindex=\"0\">spawned</pre>"));
    wait_for(
        "the children to die",
        std::time::Duration::from_secs(5),
        || processes(sleeping("40.125")).is_empty() && processes(sleeping("40.375")).is_empty(),
    );
    for pid in processes(sleeping("40.625")) {
        let _ = std::process::Command::new("kill")
            .arg(pid.to_string())
            .status();
    }

    // d2lbook stopped by SIGTERM, or killed: the looping cell stops too.
    for signal in ["TERM", "KILL"] {
        let name = format!("spin{}", signal.to_lowercase());
        let body = format!(
            "# Spin\n\n{}",
            cell("while std::hint::black_box(true) {\n    std::hint::spin_loop();\n}")
        );
        let book = book_named(&name, &body);
        let mut d2lbook = book
            .command(&["build", "eval"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let prefix = format!("/s_{name}_");
        let program = |args: &[&str]| args[0].contains(&prefix);
        wait_for(
            "the section's program",
            std::time::Duration::from_secs(600),
            || !processes(program).is_empty(),
        );
        std::process::Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(d2lbook.id().to_string())
            .status()
            .unwrap();
        let _ = d2lbook.wait();
        wait_for(
            &format!("the cell to stop after SIG{signal}"),
            std::time::Duration::from_secs(5),
            || processes(program).is_empty(),
        );
    }
}

#[cfg(target_os = "linux")]
fn book_named(name: &str, body: &str) -> TempBook {
    book(&[(name, body)], "timeout = 600\n")
}

#[test]
fn a_book_built_from_its_own_folder_runs_its_cells() {
    // No `--root`: the book root is `.`, and the programs run in scratch folders of their
    // own, so every path handed to them must be absolute.
    let body = [
        "# Here\n\n".to_string(),
        cell("let x = 41 + 1;\nx"),
        cell("println!(\"要素数: {}\", 12);\nTensor::new(&[1f32, 2.], &Device::Cpu)?"),
    ]
    .concat();
    let book = book(&[("here", &body)], "");
    let run = book.run_in_place(&["build", "html"]);
    assert!(run.ok, "{}", run.stderr);
    // A book without `[eval] dependencies` has nothing to fetch: no note about it.
    assert!(!run.stderr.contains("note: eval"), "{}", run.stderr);
    let page = book.page("here.html");
    let outputs = cell_outputs(&page);
    assert!(
        outputs[0].contains("<pre tabindex=\"0\">42</pre>"),
        "{}",
        outputs[0]
    );
    assert!(outputs[1].contains("要素数: 12"), "{}", outputs[1]);
    assert!(
        outputs[1].contains("<figcaption>Tensor[2] f32</figcaption>"),
        "{}",
        outputs[1]
    );
}

#[test]
fn a_toolchain_file_is_part_of_the_cache_key() {
    let book = book(&[("tc", &format!("# TC\n\n{}", cell("6 * 7")))], "");
    let first = book.build_html();
    assert!(
        first.ok && first.stderr.contains("1 run, 0 from cache"),
        "{}",
        first.stderr
    );
    // The same toolchain named by a file rustup reads: the outputs may differ with the
    // toolchain, so they are not taken from the cache.
    book.write("rust-toolchain.toml", "[toolchain]\nchannel = \"stable\"\n");
    let pinned = book.build_html();
    assert!(pinned.ok, "{}", pinned.stderr);
    assert!(
        pinned.stderr.contains("1 run, 0 from cache"),
        "{}",
        pinned.stderr
    );
    let again = book.build_html();
    assert!(
        again.stderr.contains("0 run, 1 from cache"),
        "{}",
        again.stderr
    );
    assert!(book
        .page("tc.html")
        .contains("<pre tabindex=\"0\">42</pre>"));
}

#[test]
fn in_the_pdf_a_cells_output_stays_on_the_page_of_its_code() {
    let mut body = String::from("# Kept\n\n");
    for k in 0..24 {
        // Paragraphs of different lengths move the cells to every height of a page.
        body.push_str(&"Words that move the next cell down the page. ".repeat(k % 9 + 2));
        body.push_str("\n\n");
        body.push_str(&cell(&format!(
            "let code{k} = {k};\nfor line in 0..6 {{\n    println!(\"output{k} line{{line}}\");\n}}"
        )));
    }
    let book = book(&[("kept", &body)], "");
    let run = book.run(&["build", "pdf"]);
    assert!(run.ok, "{}", run.stderr);
    let text = common::pdftotext(&book.root.join("_build/pdf/e.pdf"));
    assert!(text.split('\u{c}').count() > 3, "{text}");
    let page_of = |needle: &str| page_of(&text, needle);
    for k in 0..24 {
        let code = page_of(&format!("let code{k} = {k};"));
        assert_eq!(code, page_of(&format!("output{k} line0")), "cell {k}");
        assert_eq!(code, page_of(&format!("output{k} line5")), "cell {k}");
    }
}

/// The index of the first page of pdftotext's `text` (pages end with a form feed) that
/// holds `needle`.
fn page_of(text: &str, needle: &str) -> usize {
    text.split('\u{c}')
        .position(|p| p.contains(needle))
        .unwrap_or_else(|| panic!("{needle} is not in the PDF:\n{text}"))
}

#[test]
fn in_the_pdf_a_cell_longer_than_a_page_flows_across_pages() {
    let body = format!(
        "# Long\n\nA paragraph before the cell.\n\n{}A paragraph after it.\n",
        cell("for line in 0..90 {\n    println!(\"long line{line}\");\n}")
    );
    let book = book(&[("long", &body)], "");
    let run = book.run(&["build", "pdf"]);
    assert!(run.ok, "{}", run.stderr);
    let text = common::pdftotext(&book.root.join("_build/pdf/e.pdf"));
    let page_of = |needle: &str| page_of(&text, needle);
    // Every line is on a page, none lost below the bottom of one.
    for line in 0..90 {
        page_of(&format!("long line{line}\n"));
    }
    assert_eq!(page_of("for line in 0..90"), page_of("long line0\n"));
    assert!(page_of("long line0\n") < page_of("long line89\n"), "{text}");
}

#[test]
fn a_books_own_pdf_template_without_cell_still_shows_cells_and_outputs() {
    // A template written before `cell` existed: the built-in one without it.
    let builtin = include_str!("../templates/book.typ");
    let start = builtin.find("#let cell(body)").unwrap();
    let end = start + builtin[start..].find("\n})\n").unwrap() + 4;
    let old = format!("{}{}", &builtin[..start], &builtin[end..]);
    let start = old.find("#let short-cell(body)").unwrap();
    let end = start + old[start..].find('\n').unwrap() + 1;
    let old = format!("{}{}", &old[..start], &old[end..]);
    assert!(
        !old.contains("#let cell(") && !old.contains("cell(body)"),
        "{old}"
    );
    let book = book(
        &[(
            "old",
            &format!("# Old\n\n{}", cell("println!(\"printed by the cell\");")),
        )],
        "",
    );
    book.write("templates/book.typ", &old);
    let run = book.run(&["build", "pdf"]);
    assert!(run.ok, "{}", run.stderr);
    let text = common::pdftotext(&book.root.join("_build/pdf/e.pdf"));
    assert!(text.contains("printed by the cell"), "{text}");
}

#[test]
fn a_session_shows_every_edit_of_a_cells_last_expression() {
    // `serve` keeps each cell's rewritten code and the toolchain's version between
    // rebuilds: an edit, an edit back and a trailing `;` must each show what a cold
    // build shows.
    let book = book(
        &[("memo", &format!("# Memo\n\n{}", cell("let x = 20;\nx + 1")))],
        "",
    );
    let mut session = d2lbook::session::Session::new(d2lbook::build::Options {
        root: book.root.clone(),
        strict: false,
        quiet: true,
        no_eval: false,
    });
    let mut shown = |code: &str| {
        book.write("src/memo.md", &format!("# Memo\n\n{}", cell(code)));
        let rebuilt = session.rebuild();
        assert!(!rebuilt.failed, "{code}: {}", rebuilt.report);
        book.page("memo.html")
    };
    assert!(shown("let x = 20;\nx + 1").contains("<pre tabindex=\"0\">21</pre>"));
    assert!(shown("let x = 20;\nx + 2").contains("<pre tabindex=\"0\">22</pre>"));
    assert!(shown("let x = 20;\nx + 1").contains("<pre tabindex=\"0\">21</pre>"));
    let page = shown("let x = 20;\nx + 1;");
    assert!(!page.contains("<pre tabindex=\"0\">21</pre>"), "{page}");
}
