//! docs/publishing.md: its CI recipes are valid YAML, and every `d2lbook` command they run
//! is a command of this CLI with options it has.

use std::process::Command;

/// The ```yaml blocks of the page.
fn yaml_blocks() -> Vec<serde_yaml::Value> {
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/publishing.md"))
        .unwrap();
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
    let blocks = yaml_blocks();
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
            let words: Vec<&str> = line.split_whitespace().skip(1).collect();
            let (flags, commands): (Vec<&str>, Vec<&str>) =
                words.iter().partition(|w| w.starts_with('-'));
            let help = Command::new(env!("CARGO_BIN_EXE_d2lbook"))
                .args(&commands)
                .arg("--help")
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&help.stdout);
            assert!(
                help.status.success(),
                "`d2lbook {}`: {text}",
                commands.join(" ")
            );
            for flag in flags {
                assert!(
                    text.contains(flag),
                    "`{line}`: {flag} is not an option\n{text}"
                );
            }
        }
    }
}
