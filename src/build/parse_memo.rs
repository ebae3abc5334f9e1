//! Each section's parsed IR, by a digest of what its parse reads: an unchanged file is
//! not parsed again, neither in a `serve` session (kept in memory) nor by the next
//! `build html` (kept in `<output_dir>/cache/parsed.bin`).
//!
//! The file holds the sections that parsed without diagnostics (those with some are
//! parsed again, and report again), in postcard's compact form, with the binary that
//! wrote them: postcard data carries no field names, so only the same d2lbook reads it
//! back. Each entry has a checksum; one that fails it is parsed again, never trusted.

use crate::book::{Book, Section};
use crate::diag::Diagnostic;
use crate::doc::Doc;
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

const FILE: &str = "cache/parsed.bin";

#[derive(Default)]
pub struct ParseMemo {
    docs: HashMap<String, (Doc, Vec<Diagnostic>)>,
    /// Kept in the output folder between runs.
    persist: bool,
    /// Entries that are not in the file yet.
    unsaved: bool,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct MemoFile {
    renderer: String,
    /// `(key, the Doc in postcard, checksum of both)`.
    docs: Vec<(String, Vec<u8>, String)>,
}

fn checksum(key: &str, bytes: &[u8]) -> String {
    crate::digest::hash(&[key.as_bytes(), bytes])
}

impl ParseMemo {
    /// A memo kept in the output folder between runs.
    pub fn persistent() -> ParseMemo {
        ParseMemo {
            persist: true,
            ..ParseMemo::default()
        }
    }

    /// What the parse of `section` depends on: its file and text, the source folder
    /// (images are found from it) and the dialect; the same key, the same IR.
    pub fn key(book: &Book, section: &Section) -> String {
        crate::digest::hash(&[
            section.file.as_bytes(),
            section.text.as_bytes(),
            book.src_dir().to_string_lossy().as_bytes(),
            format!("{:?}", book.config.build.allow_outside).as_bytes(),
            &[u8::from(book.config.mdbook)],
        ])
    }

    pub fn get(&self, key: &str) -> Option<&(Doc, Vec<Diagnostic>)> {
        self.docs.get(key)
    }

    /// Keeps only the entries of `kept`: the sections of the book as it is now;
    /// `parsed_clean`: some were parsed now, without diagnostics (the file lacks them).
    pub fn replace(&mut self, kept: HashMap<String, (Doc, Vec<Diagnostic>)>, parsed_clean: bool) {
        self.docs = kept;
        self.unsaved |= parsed_clean;
    }

    pub fn take(&mut self, key: &str) -> Option<(Doc, Vec<Diagnostic>)> {
        self.docs.remove(key)
    }

    /// Reads the memo that an earlier run of this binary (`renderer`) left in `out_dir`,
    /// when this one is persistent and holds nothing yet.
    pub fn recall(&mut self, out_dir: &Path, renderer: &str) {
        if !self.persist || !self.docs.is_empty() {
            return;
        }
        let Ok(bytes) = std::fs::read(out_dir.join(FILE)) else {
            return;
        };
        let Ok(file) = postcard::from_bytes::<MemoFile>(&bytes) else {
            return;
        };
        if file.renderer != renderer {
            return;
        }
        self.docs = file
            .docs
            .par_iter()
            .filter(|(key, doc, sum)| *sum == checksum(key, doc))
            .filter_map(|(key, doc, _)| {
                let doc: Doc = postcard::from_bytes(doc).ok()?;
                Some((key.clone(), (doc, Vec::new())))
            })
            .collect();
    }

    /// Writes the memo into `out_dir` (a claimed output folder) when it is persistent
    /// and holds sections parsed since it was read.
    pub fn save(&mut self, out_dir: &Path, renderer: &str) -> std::io::Result<()> {
        if !self.persist || !self.unsaved {
            return Ok(());
        }
        let docs = self
            .docs
            .par_iter()
            .filter(|(_, (_, diags))| diags.is_empty())
            .map(|(key, (doc, _))| {
                let bytes = postcard::to_extend(doc, Vec::new()).map_err(std::io::Error::other)?;
                let sum = checksum(key, &bytes);
                Ok((key.clone(), bytes, sum))
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        let file = MemoFile {
            renderer: renderer.to_string(),
            docs,
        };
        let bytes = postcard::to_extend(&file, Vec::new()).map_err(std::io::Error::other)?;
        let path: PathBuf = out_dir.join(FILE);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(tmp, path)?;
        self.unsaved = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memo_of(text: &str) -> ParseMemo {
        let dir = std::env::temp_dir();
        let fence = crate::fence::Fence::new(&dir, &[]);
        let (doc, diags) = crate::parse::parse_markdown(text, "src/a.md", &dir, &fence);
        assert!(diags.is_empty());
        let mut memo = ParseMemo::persistent();
        memo.replace(HashMap::from([("key".to_string(), (doc, diags))]), true);
        memo
    }

    fn memo_doc(memo: &ParseMemo, key: &str) -> Option<String> {
        memo.get(key).map(|(doc, _)| format!("{doc:?}"))
    }

    #[test]
    fn a_saved_memo_reads_back_only_for_the_same_binary_and_intact() {
        let out = std::env::temp_dir().join(format!("d2lbook-parse-memo-{}", std::process::id()));
        let text = "# Title\n:label:`sec_t`\n\nSome $x^2$ and :numref:`fig_a`.\n\n```{.rust .input}\nlet x = 1;\n```\n";
        let mut memo = memo_of(text);
        let original = memo_doc(&memo, "key").unwrap();
        memo.save(&out, "binary-1").unwrap();

        let mut again = ParseMemo::persistent();
        again.recall(&out, "binary-1");
        assert_eq!(memo_doc(&again, "key").as_deref(), Some(original.as_str()));

        // Another binary's memo is not read: its IR may differ.
        let mut other = ParseMemo::persistent();
        other.recall(&out, "binary-2");
        assert!(other.get("key").is_none());

        // A damaged entry fails its checksum and is dropped.
        let path = out.join(FILE);
        let mut bytes = std::fs::read(&path).unwrap();
        let at = bytes.windows(5).position(|w| w == b"Title").unwrap();
        bytes[at] = b'X';
        std::fs::write(&path, &bytes).unwrap();
        let mut damaged = ParseMemo::persistent();
        damaged.recall(&out, "binary-1");
        assert!(damaged.get("key").is_none());

        // Cut short, the file is ignored as a whole.
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let mut cut = ParseMemo::persistent();
        cut.recall(&out, "binary-1");
        assert!(cut.get("key").is_none());
        std::fs::remove_dir_all(&out).unwrap();
    }
}
