//! docs/publishing.md and docs/ci.md: their CI recipes are valid YAML, and every
//! `d2lbook` command they run is a command of this CLI with options it has.

use std::process::Command;

/// The ```yaml blocks of the page `docs/<name>`.
fn yaml_blocks(name: &str) -> Vec<serde_yaml::Value> {
    let page =
        std::fs::read_to_string(format!("{}/docs/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    page.split("```yaml\n")
        .skip(1)
        .map(|rest| {
            let block = rest.split("\n```").next().unwrap();
            serde_yaml::from_str(block).unwrap_or_else(|e| panic!("{e}\n{block}"))
        })
        .collect()
}

/// Every shell line of a workflow: GitHub's `run:` values and GitLab's script lists.
fn shell_lines(value: &serde_yaml::Value, key: Option<&str>, out: &mut Vec<String>) {
    match value {
        serde_yaml::Value::Mapping(map) => {
            for (k, v) in map {
                shell_lines(v, k.as_str(), out);
            }
        }
        serde_yaml::Value::Sequence(items) => {
            for item in items {
                shell_lines(item, key, out);
            }
        }
        serde_yaml::Value::String(s) if matches!(key, Some("run" | "script" | "before_script")) => {
            out.extend(s.lines().map(str::to_string));
        }
        _ => {}
    }
}

#[test]
fn the_ci_recipes_run_real_commands() {
    let blocks = yaml_blocks("publishing.md");
    assert_eq!(blocks.len(), 2, "a GitHub and a GitLab recipe");
    for block in &blocks {
        let mut lines = Vec::new();
        shell_lines(block, None, &mut lines);
        let runs: Vec<&String> = lines.iter().filter(|l| l.starts_with("d2lbook ")).collect();
        for expected in ["build all", "build linkcheck"] {
            assert!(
                runs.iter().any(|l| l.contains(expected)),
                "no `d2lbook {expected}` in {lines:?}"
            );
        }
        for line in runs {
            check_command(line);
        }
    }
}

/// `line` (`d2lbook build eval --shard ${{ matrix.shard }}`) names a real command and
/// only options it has: its words up to the first option are the command (and its
/// arguments), GitHub's `${{ … }}` values stand for option values.
fn check_command(line: &str) {
    let mut text = line.to_string();
    while let Some(start) = text.find("${{") {
        let end = text[start..]
            .find("}}")
            .map_or(text.len(), |e| start + e + 2);
        text.replace_range(start..end, "X");
    }
    let words: Vec<&str> = text.split_whitespace().skip(1).collect();
    let first_flag = words
        .iter()
        .position(|w| w.starts_with('-'))
        .unwrap_or(words.len());
    let commands = &words[..first_flag];
    let flags = words[first_flag..].iter().filter(|w| w.starts_with("--"));
    let help = Command::new(env!("CARGO_BIN_EXE_d2lbook"))
        .args(commands)
        .arg("--help")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.status.success(),
        "`{line}`: {text}{}",
        String::from_utf8_lossy(&help.stderr)
    );
    for flag in flags {
        assert!(
            text.contains(flag),
            "`{line}`: {flag} is not an option\n{text}"
        );
    }
}

#[test]
fn the_sharded_eval_workflow_runs_real_commands() {
    let blocks = yaml_blocks("ci.md");
    assert_eq!(blocks.len(), 1, "a GitHub Actions matrix");
    let mut lines = Vec::new();
    shell_lines(&blocks[0], None, &mut lines);
    let runs: Vec<&String> = lines.iter().filter(|l| l.starts_with("d2lbook ")).collect();
    for expected in [
        "build eval --shard",
        "--device",
        "build eval --list-shards",
        "cache export",
        "cache import",
        "build all",
    ] {
        assert!(
            runs.iter().any(|l| l.contains(expected)),
            "no `{expected}` in {runs:?}"
        );
    }
    for line in runs {
        check_command(line);
    }
    // The matrix names a GPU job and CPU shards.
    let yaml = serde_yaml::to_string(&blocks[0]).unwrap();
    assert!(
        yaml.contains("device: gpu") && yaml.contains("shard: 3/3"),
        "{yaml}"
    );
}
