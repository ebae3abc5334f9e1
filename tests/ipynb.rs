//! `d2lbook build ipynb`: the sample book's sections as nbformat 4.5 notebooks for the
//! evcxr kernel, their zip, and notebooks that build back into the same pages.

mod common;

use common::{one_section_book, TempBook};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Every file under `dir`, by path relative to it.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap();
            (
                rel.to_string_lossy().replace('\\', "/"),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// nbformat's multi-line string: each line but the last ends in `\n`, none holds another.
fn text(lines: &Value, what: &str) -> String {
    let lines = lines
        .as_array()
        .unwrap_or_else(|| panic!("{what}: not a list"));
    let lines: Vec<&str> = lines.iter().map(|l| l.as_str().unwrap()).collect();
    for (i, line) in lines.iter().enumerate() {
        let last = i + 1 == lines.len();
        let inner = line.strip_suffix('\n').unwrap_or(line);
        assert!(
            !inner.contains('\n') && (last || line.ends_with('\n')),
            "{what}: line {i} {line:?}"
        );
    }
    lines.concat()
}

/// The checks of nbformat 4.5's schema that matter to Jupyter and evcxr, on one notebook;
/// returns its output types and MIME types seen (`stream`, `execute_result text/html`, …).
/// Cells that `ran` count 1, 2, …; others have no count and no outputs.
fn check_notebook(path: &str, nb: &Value, ran: bool) -> Vec<String> {
    assert_eq!(nb["nbformat"], 4, "{path}");
    assert_eq!(nb["nbformat_minor"], 5, "{path}");
    assert_eq!(
        nb["metadata"]["kernelspec"],
        serde_json::json!({"name": "rust", "display_name": "Rust", "language": "rust"}),
        "{path}"
    );
    let info = &nb["metadata"]["language_info"];
    assert_eq!(
        (&info["name"], &info["file_extension"], &info["mimetype"]),
        (&"Rust".into(), &".rs".into(), &"text/rust".into()),
        "{path}"
    );
    let cells = nb["cells"].as_array().unwrap();
    let mut ids = std::collections::HashSet::new();
    let mut kinds = Vec::new();
    let mut counts = Vec::new();
    for (i, cell) in cells.iter().enumerate() {
        let what = format!("{path} cell {i}");
        let id = cell["id"].as_str().unwrap();
        assert!(
            (1..=64).contains(&id.len())
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c))
                && ids.insert(id.to_string()),
            "{what}: id {id:?}"
        );
        assert!(cell["metadata"].is_object(), "{what}");
        let source = text(&cell["source"], &what);
        let keys: Vec<&str> = cell
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        match cell["cell_type"].as_str().unwrap() {
            "markdown" => {
                assert_eq!(keys, ["cell_type", "id", "metadata", "source"], "{what}");
                for raw in [
                    ":numref:",
                    ":ref:",
                    ":eqref:",
                    ":cite",
                    ":label:",
                    ":width:",
                    ":begin_tab:",
                    ":eqlabel:",
                ] {
                    assert!(!source.contains(raw), "{what}: {raw} left in\n{source}");
                }
            }
            "code" => {
                assert_eq!(
                    keys,
                    [
                        "cell_type",
                        "execution_count",
                        "id",
                        "metadata",
                        "outputs",
                        "source"
                    ],
                    "{what}"
                );
                let setup = cell["metadata"]["tags"] == serde_json::json!(["d2l-setup"]);
                assert_eq!(setup, i == 0, "{what}: the set-up cell comes first, alone");
                if !setup && ran {
                    counts.push(cell["execution_count"].as_u64().expect("a count"));
                } else {
                    assert!(cell["execution_count"].is_null(), "{what}");
                    assert_eq!(cell["outputs"], serde_json::json!([]), "{what}");
                }
                for output in cell["outputs"].as_array().unwrap() {
                    let kind = output["output_type"].as_str().unwrap();
                    match kind {
                        "stream" => {
                            assert!(
                                ["stdout", "stderr"].contains(&output["name"].as_str().unwrap())
                            );
                            text(&output["text"], &what);
                            kinds.push(kind.to_string());
                        }
                        "execute_result" | "display_data" => {
                            assert!(output["metadata"].is_object(), "{what}");
                            if kind == "execute_result" {
                                assert_eq!(output["execution_count"], cell["execution_count"]);
                            }
                            for (mime, data) in output["data"].as_object().unwrap() {
                                text(data, &what);
                                kinds.push(format!("{kind} {mime}"));
                            }
                        }
                        "error" => {
                            assert!(output["ename"].is_string() && output["evalue"].is_string());
                            assert!(output["traceback"].is_array());
                            kinds.push(kind.to_string());
                        }
                        other => panic!("{what}: output type {other}"),
                    }
                }
            }
            other => panic!("{what}: cell type {other}"),
        }
    }
    let expected: Vec<u64> = (1..=counts.len() as u64).collect();
    assert_eq!(counts, expected, "{path}: execution counts in order");
    kinds
}

/// Jupyter's own check: nbformat's `validate`, against the nbformat 4 JSON schema it
/// ships (Debian: python3-nbformat, which `.ci/run` installs), on every notebook.
fn jupyter_validates(dir: &Path, count: usize) {
    const CHECK: &str = "import glob, sys, nbformat\n\
        files = sorted(glob.glob(sys.argv[1] + '/**/*.ipynb', recursive=True))\n\
        for f in files:\n\
        \x20   nbformat.validate(nbformat.read(f, as_version=nbformat.NO_CONVERT))\n\
        print(len(files), 'valid')\n";
    // A python3 of a version manager may lack the system's packages: try the system's too.
    let out = ["python3", "/usr/bin/python3"]
        .iter()
        .filter_map(|python| {
            std::process::Command::new(python)
                .args(["-c", CHECK])
                .arg(dir)
                .output()
                .ok()
        })
        .find(|out| {
            out.status.success()
                || !String::from_utf8_lossy(&out.stderr).contains("No module named 'nbformat'")
        })
        .expect("python3 with nbformat (Debian: python3-nbformat; `.ci/run` installs it)");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{report}");
    assert_eq!(report.trim(), format!("{count} valid"));
}

#[test]
fn the_sample_book_becomes_valid_notebooks_with_their_outputs_and_a_zip() {
    let book = TempBook::sample_with_library();
    let run = book.run(&["--strict", "build", "ipynb"]);
    assert!(run.ok, "{}", run.stderr);
    assert!(run.stderr.contains("built 26 notebooks"), "{}", run.stderr);
    // A closure kept in a variable fails its cell under evcxr: a note says where (notes
    // never fail a build, not even with --strict).
    assert!(
        run.stderr.contains(
            "note: in the notebook, this cell fails: evcxr (Jupyter's Rust kernel) cannot keep the closure `net` for the cells after it\n  --> chapters/chapter_linear_networks/softmax-regression-scratch.md:93:5"
        ),
        "{}",
        run.stderr
    );
    let dir = book.root.join("_build/ipynb");
    jupyter_validates(&dir, 26);
    let written = files(&dir);
    let mut kinds = Vec::new();
    let mut notebooks = 0;
    for (path, bytes) in &written {
        if !path.ends_with(".ipynb") {
            continue;
        }
        notebooks += 1;
        let text = std::str::from_utf8(bytes).unwrap();
        assert!(text.ends_with("}\n") && !text.ends_with("\n\n"), "{path}");
        let nb: Value = serde_json::from_str(text).unwrap();
        kinds.extend(check_notebook(path, &nb, true));
    }
    // Every section, at its page's path.
    assert_eq!(notebooks, 26);
    for kind in [
        "stream",
        "execute_result text/html",
        "execute_result text/plain",
        "display_data image/svg+xml",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "no {kind} in {kinds:?}");
    }

    let nb = |path: &str| -> Value { serde_json::from_slice(&written[path]).unwrap() };
    let source = |cell: &Value| {
        cell["source"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect::<String>()
    };
    let la = nb("chapter_preliminaries/linear-algebra.ipynb");
    let cells = la["cells"].as_array().unwrap();
    assert_eq!(
        source(&cells[0]),
        ":dep d2l = { path = \"../d2l-lib\" }\nuse d2l::prelude::*;"
    );
    assert_eq!(cells[0]["metadata"]["jupyter"]["source_hidden"], true);
    let prose: String = cells
        .iter()
        .filter(|c| c["cell_type"] == "markdown")
        .map(source)
        .collect();
    // References and citations read as on the site; the figure shows its number and
    // its image, copied beside the notebooks.
    for expected in [
        "# 線形代数\n",
        "これは図 1.3.1で示すとおりです",
        "![図 1.3.1 平面上のベクトル $\\mathbf{x}$ と、その二つの成分](../img/vector.svg)",
        "（ノルムの定義は(1.3.8)を見よ）",
        "Strang (1993) が良い出発点",
        "（Goodfellow et al., 2016; Strang, 1993）",
        "表 1.3.1 ベクトルと行列の基本演算と candle での書き方\n\n| 演算 | 数式 | candle での書き方 |",
        "$$\\|\\mathbf{x}\\|_2 = \\sqrt{\\sum_{i=1}^n x_i^2}.\n\\tag{1.3.8}$$",
        // An equation without a label has no number.
        "$$\\boldsymbol{\\theta} = \\begin{pmatrix}",
    ] {
        assert!(prose.contains(expected), "missing {expected:?} in\n{prose}");
    }
    assert!(written.contains_key("img/vector.svg"));
    // The first Rust cell prints and ends in a scalar tensor, shown as a table.
    let first = cells
        .iter()
        .find(|c| c["cell_type"] == "code" && c["execution_count"] == 1)
        .unwrap();
    let result = &first["outputs"][1];
    assert_eq!(result["output_type"], "execute_result");
    assert_eq!(
        result["data"]["text/html"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect::<String>(),
        "<table>\n<caption>Tensor[] f32</caption>\n<tbody>\n<tr><td style=\"text-align:right\">5</td></tr>\n</tbody>\n</table>"
    );
    // A hidden cell stays (later cells use what it defines), hidden by Jupyter's flags,
    // its mark kept so that the notebook builds back into the same page.
    let lr = nb("chapter_linear_networks/linear-regression.ipynb");
    let hidden = &lr["cells"][2];
    assert!(source(hidden).starts_with("//@hide\nlet dev = Device::Cpu;"));
    assert_eq!(
        hidden["metadata"]["jupyter"],
        serde_json::json!({"source_hidden": true, "outputs_hidden": true})
    );
    // The index: its contents as links to the notebooks, and no set-up cell (no code).
    let index = nb("index.ipynb");
    let index_md = source(&index["cells"][0]);
    assert!(
        index_md.contains("  - [1.3 線形代数](chapter_preliminaries/linear-algebra.ipynb)\n"),
        "{index_md}"
    );

    // The zip: every notebook and image, and the library, with the same bytes.
    let zip_bytes = &written["book-ipynb.zip"];
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(zip_bytes.clone())).unwrap();
    let mut in_zip = BTreeMap::new();
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
        in_zip.insert(entry.name().unwrap().to_string(), bytes);
    }
    assert!(in_zip.contains_key("d2l-lib/Cargo.toml"));
    assert!(in_zip.contains_key("d2l-lib/src/lib.rs"));
    assert!(!in_zip.keys().any(|k| k.contains("target/")));
    let mut loose = written.clone();
    loose.remove("book-ipynb.zip");
    assert_eq!(in_zip, loose);

    // Deterministic: a second build (the cells' outputs from the cache) writes the same
    // bytes, the zip included.
    let run = book.run(&["--strict", "build", "ipynb"]);
    assert!(run.ok, "{}", run.stderr);
    assert!(files(&dir) == written, "the second build wrote other bytes");
}

/// A page's `<main>`, without what a notebook cannot carry back: heading anchors made
/// from `:label:` (the notebook's headings get anchors from their titles) and the links
/// of references (a notebook shows their texts; they link to the published site only
/// when `[html] site_url` is absolute).
fn comparable_main(page: &str) -> String {
    let start = page.find("<main").unwrap();
    let end = page.find("</main>").unwrap();
    let mut main = page[start..end].to_string();
    // `<h2 id="…">` and its `<a class="anchor" href="#…"`.
    for (open, close) in [(" id=\"", "\""), ("class=\"anchor\" href=\"#", "\"")] {
        let mut out = String::new();
        let mut rest = main.as_str();
        while let Some(i) = rest.find(open) {
            let in_heading = open.starts_with("class")
                || rest[..i].ends_with(|c: char| c.is_ascii_digit())
                    && rest[..i].rfind("<h") == Some(i - 3);
            out.push_str(&rest[..i]);
            let after = &rest[i + open.len()..];
            let j = after.find(close).unwrap();
            if in_heading {
                out.push_str(if open.starts_with("class") {
                    "class=\"anchor\""
                } else {
                    ""
                });
            } else {
                out.push_str(&rest[i..i + open.len() + j + close.len()]);
            }
            rest = &after[j + close.len()..];
        }
        out.push_str(rest);
        main = out;
    }
    // `<a class="ref…" href="…">text</a>` → `text`.
    let mut out = String::new();
    let mut rest = main.as_str();
    while let Some(i) = rest.find("<a class=\"ref") {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let text_start = after.find('>').unwrap() + 1;
        let text_end = after.find("</a>").unwrap();
        out.push_str(&after[text_start..text_end]);
        rest = &after[text_end + "</a>".len()..];
    }
    out.push_str(rest);
    out
}

#[test]
fn notebooks_build_back_into_the_same_pages() {
    let book = TempBook::sample_with_library();
    let run = book.run(&["build", "ipynb"]);
    assert!(run.ok, "{}", run.stderr);
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    // Sections with cells, plots, `//@save` items, references and tensors. A notebook
    // keeps no labels: the other sections' references to these become warnings, which
    // do not touch these pages; and a labelled equation comes back numbered by `\tag`
    // (so these two have none).
    let sections = [
        "chapter_linear_networks/linear-regression-scratch",
        "chapter_linear_networks/softmax-regression-scratch",
    ];
    let before: Vec<String> = sections
        .iter()
        .map(|s| book.page(&format!("{s}.html")))
        .collect();
    for s in sections {
        std::fs::remove_file(book.root.join(format!("chapters/{s}.md"))).unwrap();
        std::fs::copy(
            book.root.join(format!("_build/ipynb/{s}.ipynb")),
            book.root.join(format!("chapters/{s}.ipynb")),
        )
        .unwrap();
    }
    let run = book.build_html();
    assert!(run.ok, "{}", run.stderr);
    // Every warning (but the closing count) is about a label the notebooks dropped.
    let warnings = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning") && !l.ends_with(" warnings"));
    for line in warnings {
        assert!(
            line.starts_with("warning: undefined label"),
            "{}",
            run.stderr
        );
    }
    for (s, before) in sections.iter().zip(before) {
        let after = book.page(&format!("{s}.html"));
        // The outputs of the cells are there again, run from the notebook's code.
        assert!(after.contains("<div class=\"cell-outputs\">"), "{s}");
        assert_eq!(comparable_main(&before), comparable_main(&after), "{s}");
    }
}

#[test]
fn a_book_may_name_its_library_and_link_references_to_its_site() {
    let book = one_section_book(
        "# Sec\n:label:`sec_x`\n\nSee :numref:`sec_x` and $x$.\n\n```{.rust .input}\nlet a = 1;\n```\n",
    );
    book.write(
        "book.toml",
        "[book]\ntitle = \"T\"\nsrc = \"src\"\n[html]\nsite_url = \"https://book.example.org/\"\n\
         [ipynb]\nd2l_dependency = { git = \"https://example.org/d2l\" }\n",
    );
    let run = book.run(&["--strict", "build", "ipynb", "--no-eval"]);
    assert!(run.ok, "{}", run.stderr);
    assert!(
        run.stderr.contains("the cells were not run"),
        "{}",
        run.stderr
    );
    let nb: Value =
        serde_json::from_slice(&std::fs::read(book.root.join("_build/ipynb/sec.ipynb")).unwrap())
            .unwrap();
    check_notebook("sec.ipynb", &nb, false);
    let source = |i: usize| {
        nb["cells"][i]["source"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect::<String>()
    };
    assert_eq!(
        source(0),
        ":dep d2l = { git = \"https://example.org/d2l\" }\nuse d2l::prelude::*;"
    );
    assert_eq!(
        source(1),
        "# Sec\n\nSee [Section 1](https://book.example.org/sec.html) and $x$."
    );
    assert_eq!(source(2), "let a = 1;");
}

#[test]
fn without_its_library_a_book_gets_an_error_and_no_notebooks() {
    let book = one_section_book("# Sec\n\n```{.rust .input}\nlet a = 1;\n```\n");
    let run = book.run(&["build", "ipynb", "--no-eval"]);
    assert!(!run.ok);
    assert!(
        run.stderr
            .contains("error: cannot read the library `d2l-lib` of [eval] library"),
        "{}",
        run.stderr
    );
    assert!(run
        .stderr
        .contains("help: the notebooks' set-up cell loads the library"));
    assert!(!book.root.join("_build/ipynb").exists());
}

#[test]
fn labelled_listings_keep_their_numbers_in_the_notebook() {
    let book = one_section_book(
        "# Sec\n\n```{.rust .input}\nlet a = 1;\n```\n:label:`lst_cell`\n\n```bash\ncargo run\n```\n:label:`lst_shell`\n\nSee :numref:`lst_cell` and :numref:`lst_shell`.\n",
    );
    book.write(
        "book.toml",
        "[book]\ntitle = \"T\"\nsrc = \"src\"\n[ipynb]\nd2l_dependency = \"0.1\"\n",
    );
    let run = book.run(&["--strict", "build", "ipynb", "--no-eval"]);
    assert!(run.ok, "{}", run.stderr);
    let nb: Value =
        serde_json::from_slice(&std::fs::read(book.root.join("_build/ipynb/sec.ipynb")).unwrap())
            .unwrap();
    let sources: Vec<(String, String)> = nb["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let kind = c["cell_type"].as_str().unwrap().to_string();
            (kind, text(&c["source"], "source"))
        })
        .collect();
    // The cell's number in the markdown right above it; the plain listing's above its fence.
    let cell = sources.iter().position(|(_, s)| s == "let a = 1;").unwrap();
    assert!(
        sources[cell - 1].1.ends_with("**Listing 1.1**"),
        "{sources:?}"
    );
    let after = &sources[cell + 1].1;
    assert!(
        after.starts_with("**Listing 1.2**\n\n```bash\ncargo run\n```"),
        "{after}"
    );
    assert!(
        after.contains("See Listing 1.1 and Listing 1.2."),
        "{after}"
    );
}
