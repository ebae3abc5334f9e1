//! Sharded eval, as a CI matrix runs it: the sample book evaluated as 3 shards in 3
//! output folders, each shard's cache exported, all imported into a fourth folder, whose
//! site is then built without running a cell and equals, byte for byte, the site of a
//! build on one machine. Also: the plan, devices, and a tampered archive.

mod common;

use common::{one_section_book, tree, TempBook};

#[test]
fn three_shards_merged_build_the_same_site_as_one_machine() {
    let book = TempBook::sample_with_library();
    // Each run's output folder, set in the sample's own [build] table.
    let toml = std::fs::read_to_string(book.root.join("book.toml")).unwrap();
    let with_dir = |dir: &str| {
        let set = format!("[build]\noutput_dir = \"{dir}\"\n");
        book.write("book.toml", &toml.replacen("[build]\n", &set, 1));
    };

    with_dir("_one");
    let plan = book.run_stdout(&["build", "eval", "--list-shards", "3"]);
    assert!(
        plan.contains("shard 1/3: ") && plan.contains("shard 3/3: "),
        "{plan}"
    );
    let mut total = 0;
    for i in 1..=3 {
        let dir = format!("_shard{i}");
        with_dir(&dir);
        let run = book.run(&["build", "eval", "--shard", &format!("{i}/3")]);
        assert!(run.ok, "{}", run.stderr);
        let ran: usize = run
            .stderr
            .split("sections with Rust cells, ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{}", run.stderr));
        assert!(
            run.stderr.contains("left to other shards"),
            "{}",
            run.stderr
        );
        total += ran;
        let zip = book.root.join(format!("shard{i}.zip"));
        let export = book.run(&["cache", "export", zip.to_str().unwrap()]);
        assert!(export.ok, "{}", export.stderr);
    }

    with_dir("_merged");
    let zips: Vec<String> = (1..=3)
        .map(|i| {
            book.root
                .join(format!("shard{i}.zip"))
                .display()
                .to_string()
        })
        .collect();
    let mut args = vec!["cache", "import"];
    args.extend(zips.iter().map(String::as_str));
    let import = book.run(&args);
    assert!(import.ok, "{}", import.stderr);
    let merged = book.run(&["--strict", "build", "html"]);
    assert!(merged.ok, "{}", merged.stderr);
    // Every section came from the shards: no cell ran here.
    let line = format!("eval: {total} sections with Rust cells, 0 run, {total} from cache");
    assert!(merged.stderr.contains(&line), "{line}\n{}", merged.stderr);

    with_dir("_one");
    let one = book.run(&["--strict", "build", "html"]);
    assert!(one.ok, "{}", one.stderr);
    let (a, b) = (
        tree(&book.root.join("_merged/html")),
        tree(&book.root.join("_one/html")),
    );
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (path, bytes) in &a {
        assert!(*bytes == b[path], "{path} differs");
    }

    // Importing again changes nothing; a tampered archive is refused whole.
    with_dir("_merged");
    let again = book.run(&["cache", "import", &zips[0]]);
    assert!(
        again.ok && again.stderr.contains("0 entries added"),
        "{}",
        again.stderr
    );
    // One byte of an entry's data changed (a byte elsewhere, such as a header's time,
    // may change nothing that is read).
    let mut bytes = std::fs::read(book.root.join("shard2.zip")).unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
    let at = (0..archive.len())
        .find_map(|i| {
            let file = archive.by_index_raw(i).ok()?;
            let inside = file.name().ok()?.starts_with("entries/") && file.compressed_size() > 0;
            Some(file.data_start()? + file.compressed_size() / 2).filter(|_| inside)
        })
        .expect("shard 2 has an entry with data") as usize;
    bytes[at] ^= 0xff;
    std::fs::write(book.root.join("bad.zip"), bytes).unwrap();
    // An entry the cache holds with other outputs is kept, and the import fails.
    let archive = std::fs::File::open(&zips[0]).unwrap();
    let archive = zip::ZipArchive::new(archive).unwrap();
    let name = archive
        .file_names()
        .filter_map(|n| n.ok())
        .find_map(|n| n.strip_prefix("entries/").map(str::to_string))
        .expect("shard 1 has entries");
    let entry = book.root.join("_merged/eval/cache").join(name);
    let edited =
        std::fs::read_to_string(&entry)
            .unwrap()
            .replacen("\"outputs\"", "\"outputs\" ", 1);
    std::fs::write(&entry, &edited).unwrap();
    let conflict = book.run(&["cache", "import", &zips[0]]);
    assert_eq!(conflict.code, Some(1), "{}", conflict.stderr);
    assert!(
        conflict
            .stderr
            .contains("differs from the one in the cache, which is kept"),
        "{}",
        conflict.stderr
    );
    assert_eq!(std::fs::read_to_string(&entry).unwrap(), edited);
    let bad_zip = book.root.join("bad.zip").display().to_string();
    let before = tree(&book.root.join("_merged/eval/cache"));
    let bad = book.run(&["cache", "import", &bad_zip]);
    assert!(!bad.ok, "{}", bad.stderr);
    assert!(
        bad.stderr.contains(&format!("error: {bad_zip}")),
        "{}",
        bad.stderr
    );
    assert_eq!(
        before,
        tree(&book.root.join("_merged/eval/cache")),
        "nothing written"
    );
}

#[test]
fn a_device_restricts_the_sections_and_bad_shards_are_refused() {
    let cell = "```{.rust .input}\nlet a = 1;\n```\n";
    let book = one_section_book(&format!("# Sec\n\n{cell}")).with(&[
        ("src/index.md", "# T\n\n```toc\nsec\ngpu/train\n```\n"),
        ("src/gpu/train.md", &format!("# Train\n\n{cell}")),
    ]);
    book.write(
        "book.toml",
        "[book]\ntitle = \"T\"\nsrc = \"src\"\n[eval]\ngpu = [\"gpu/**\"]\n",
    );
    let gpu = book.run_stdout(&["build", "eval", "--list-shards", "1", "--device", "gpu"]);
    assert!(
        gpu.contains("gpu/train.md") && !gpu.contains("sec.md"),
        "{gpu}"
    );
    let cpu = book.run_stdout(&["build", "eval", "--list-shards", "1", "--device", "cpu"]);
    assert!(
        cpu.contains("sec.md") && !cpu.contains("gpu/train.md"),
        "{cpu}"
    );
    for bad in ["0/2", "3/2", "x"] {
        let run = book.run(&["build", "eval", "--shard", bad]);
        assert_eq!(run.code, Some(2), "{bad}: {}", run.stderr);
        assert!(run.stderr.contains("is not a shard"), "{}", run.stderr);
    }
}

/// What a GPU machine ran serves a machine without one: CPU sections' keys hold neither
/// the GPU-only features nor the visible devices of a book that declares its GPU sections.
#[test]
fn gpu_features_and_visible_devices_leave_cpu_sections_cached() {
    let cell = "```{.rust .input}\nprintln!(\"ran\");\n```\n";
    let book = one_section_book(&format!("# Sec\n\n{cell}")).with(&[
        ("src/index.md", "# T\n\n```toc\nsec\ngpu/train\n```\n"),
        ("src/gpu/train.md", &format!("# Train\n\n{cell}")),
    ]);
    let library = concat!(env!("CARGO_MANIFEST_DIR"), "/d2l-lib");
    let toml = |extra: &str| {
        format!(
            "[book]\ntitle = \"T\"\nsrc = \"src\"\n[eval]\nlibrary = \"{library}\"\ngpu = [\"gpu/**\"]\n{extra}"
        )
    };
    book.write("book.toml", &toml(""));
    let first = book.run(&["build", "eval", "--device", "cpu"]);
    assert!(first.ok, "{}", first.stderr);
    assert!(
        first
            .stderr
            .contains("1 sections with Rust cells, 1 run, 0 from cache"),
        "{}",
        first.stderr
    );
    book.write("book.toml", &toml("gpu_features = [\"cuda\"]\n"));
    let again = book.run_with_env(
        &["build", "eval", "--device", "cpu"],
        &[("CUDA_VISIBLE_DEVICES", "0")],
    );
    assert!(again.ok, "{}", again.stderr);
    assert!(
        again
            .stderr
            .contains("1 sections with Rust cells, 0 run, 1 from cache"),
        "{}",
        again.stderr
    );
}
