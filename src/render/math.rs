//! Math for the site: each distinct equation is rendered once by KaTeX (in parallel, one
//! engine per thread), as MathML by default, and kept in a cache under `_build/` keyed by
//! the TeX, the mode and KaTeX's version, so a rebuild renders no math it rendered before.
//! Each entry carries a checksum of its key and content: an entry edited by hand (or cut by
//! a crash) fails it and is rendered again, never trusted.

use crate::config::MathOutput;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The KaTeX inside the `katex` crate and the version of our MathML rewrite
/// (`mathml.rs`): both are part of the cache key.
const KATEX_VERSION: &str = "katex-0.16.4/crate-0.4.6/rewrite-4";

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MathKey {
    pub tex: String,
    pub display: bool,
}

/// A rendered equation, or KaTeX's error message.
pub type Rendered = Result<String, String>;

#[derive(Default, Serialize, Deserialize)]
struct CacheFile {
    entries: HashMap<String, Entry>,
}

#[derive(Clone, Serialize, Deserialize)]
struct Entry {
    rendered: Rendered,
    /// `checksum(key, rendered)`.
    sum: String,
}

impl Entry {
    fn new(key: &str, rendered: Rendered) -> Entry {
        Entry {
            sum: checksum(key, &rendered),
            rendered,
        }
    }
}

fn checksum(key: &str, rendered: &Rendered) -> String {
    let (tag, text) = match rendered {
        Ok(html) => ("ok", html),
        Err(message) => ("err", message),
    };
    crate::digest::hash(&[key.as_bytes(), tag.as_bytes(), text.as_bytes()])
}

pub struct MathCache {
    path: PathBuf,
    file: CacheFile,
    dirty: bool,
    /// Each key's cache key, computed once per process (a session asks for thousands at
    /// every rebuild).
    hashes: HashMap<(MathKey, MathOutput), String>,
}

impl MathCache {
    /// Opens the cache at `path`; a missing or unreadable cache starts empty.
    pub fn open(path: &Path) -> MathCache {
        let mut file: CacheFile = std::fs::read(path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        file.entries
            .retain(|key, entry| entry.sum == checksum(key, &entry.rendered));
        MathCache {
            path: path.to_path_buf(),
            file,
            dirty: false,
            hashes: HashMap::new(),
        }
    }

    /// The file the cache is kept in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn save(&mut self) -> std::io::Result<()> {
        if !self.dirty {
            return Ok(());
        }
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec(&self.file)?)?;
        std::fs::rename(tmp, &self.path)?;
        self.dirty = false;
        Ok(())
    }

    /// Renders every key not yet cached; returns how many were rendered.
    pub fn render_missing(&mut self, keys: &[MathKey], mode: MathOutput) -> usize {
        for k in keys {
            self.hashes
                .entry((k.clone(), mode))
                .or_insert_with(|| cache_key(k, mode));
        }
        let missing: Vec<(&String, &MathKey)> = keys
            .iter()
            .map(|k| (&self.hashes[&(k.clone(), mode)], k))
            .filter(|(h, _)| !self.file.entries.contains_key(*h))
            .collect();
        let fresh: Vec<(String, Entry)> = missing
            .par_iter()
            .map(|(h, k)| ((*h).clone(), Entry::new(h, render_one(k, mode))))
            .collect();
        let rendered = fresh.len();
        self.dirty |= rendered > 0;
        self.file.entries.extend(fresh);
        rendered
    }

    /// What each key rendered to (after `render_missing`), borrowed from the cache: a
    /// rebuild copies no math.
    pub fn rendered(&self, keys: Vec<MathKey>, mode: MathOutput) -> HashMap<MathKey, &Rendered> {
        keys.into_iter()
            .filter_map(|k| {
                let entry = match self.hashes.get(&(k.clone(), mode)) {
                    Some(h) => self.file.entries.get(h),
                    None => self.file.entries.get(&cache_key(&k, mode)),
                };
                entry.map(|e| (k, &e.rendered))
            })
            .collect()
    }
}

fn cache_key(key: &MathKey, mode: MathOutput) -> String {
    crate::digest::hash(&[
        KATEX_VERSION.as_bytes(),
        format!("{mode:?}/{}", key.display).as_bytes(),
        key.tex.as_bytes(),
    ])
}

fn render_one(key: &MathKey, mode: MathOutput) -> Rendered {
    let opts = katex::Opts::builder()
        .display_mode(key.display)
        .output_type(match mode {
            MathOutput::Mathml => katex::OutputType::Mathml,
            MathOutput::KatexHtml => katex::OutputType::HtmlAndMathml,
        })
        .throw_on_error(true)
        .trust(false)
        .build()
        .map_err(|e| e.to_string())?;
    let html = katex::render_with_opts(&key.tex, &opts).map_err(|e| match e {
        katex::Error::JsExecError(m) => katex_message(&m),
        other => other.to_string(),
    })?;
    if let Some(command) = refused_command(&html) {
        return Err(format!("'{command}' is not supported in math here"));
    }
    Ok(match mode {
        // Only the `<math>` element: no KaTeX wrapper spans that would need its stylesheet.
        MathOutput::Mathml => {
            let math = match (html.find("<math"), html.rfind("</math>")) {
                (Some(a), Some(b)) => &html[a..b + "</math>".len()],
                _ => &html,
            };
            super::mathml::typeset_like_tex(&super::mathml::map_variants(math))
        }
        MathOutput::KatexHtml => html,
    })
}

/// With `trust` off, KaTeX does not fail on the commands it refuses (`\href`, `\url`,
/// `\htmlClass`, `\includegraphics`): it shows their name in its error colour. That is
/// an error the reader would see in red, so it is one for us too.
fn refused_command(html: &str) -> Option<String> {
    const ERROR_COLOR: &str = "mathcolor=\"#cc0000\"";
    let after = &html[html.find(ERROR_COLOR)? + ERROR_COLOR.len()..];
    let text = &after[after.find("<mtext>")? + "<mtext>".len()..];
    Some(text[..text.find('<')?].to_string())
}

/// KaTeX's error as a reader wants it: the crate hands over the JS value's debug form
/// (`String("ParseError: KaTeX parse error: … at position 1: \\̲n̲…")`).
fn katex_message(raw: &str) -> String {
    let inner = raw
        .strip_prefix("String(\"")
        .and_then(|s| s.strip_suffix("\")"))
        .map_or_else(
            || raw.to_string(),
            |s| s.replace("\\\\", "\\").replace("\\\"", "\""),
        );
    let message = inner
        .trim_start_matches("ParseError: ")
        .trim_start_matches("KaTeX parse error: ");
    // The position part repeats the TeX with combining underlines; the span says where.
    message
        .split(" at position ")
        .next()
        .unwrap_or(message)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mathml_with_unicode_variants_and_errors() {
        let dir = std::env::temp_dir().join(format!("d2lbook-math-{}", std::process::id()));
        let mut cache = MathCache::open(&dir.join("math.json"));
        let keys = vec![
            MathKey {
                tex: r"\mathbf{w}^\top \mathbb{R}".into(),
                display: false,
            },
            MathKey {
                tex: r"\frac{1}{".into(),
                display: true,
            },
        ];
        let rendered = cache.render_missing(&keys, MathOutput::Mathml);
        assert_eq!(rendered, 2);
        let out = cache.rendered(keys.clone(), MathOutput::Mathml);
        let ok = out[&keys[0]].as_ref().unwrap();
        assert!(
            ok.starts_with("<math") && ok.contains('𝐰') && ok.contains('ℝ'),
            "{ok}"
        );
        let error = out[&keys[1]].as_ref().unwrap_err();
        assert!(
            error.starts_with("Unexpected end of input in a macro argument"),
            "{error}"
        );
        cache.save().unwrap();
        let mut again = MathCache::open(&dir.join("math.json"));
        let rendered = again.render_missing(&keys, MathOutput::Mathml);
        assert_eq!(rendered, 0, "a second build renders nothing");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn hand_edited_entries_are_rendered_again() {
        let dir = std::env::temp_dir().join(format!("d2lbook-math-edit-{}", std::process::id()));
        let path = dir.join("math.json");
        let key = MathKey {
            tex: "x^2".into(),
            display: false,
        };
        let mut cache = MathCache::open(&path);
        cache.render_missing(std::slice::from_ref(&key), MathOutput::Mathml);
        let good = cache.rendered(vec![key.clone()], MathOutput::Mathml)[&key]
            .clone()
            .unwrap();
        cache.save().unwrap();
        // Someone puts markup of their own into the cache.
        let text = std::fs::read_to_string(&path).unwrap();
        let edited = text.replace("<math", "<script>alert(1)</script><math");
        assert_ne!(text, edited);
        std::fs::write(&path, edited).unwrap();
        let mut again = MathCache::open(&path);
        let rendered = again.render_missing(std::slice::from_ref(&key), MathOutput::Mathml);
        assert_eq!(rendered, 1, "the edited entry fails its checksum");
        let out = again.rendered(vec![key.clone()], MathOutput::Mathml);
        assert_eq!(out[&key].as_ref().unwrap(), &good);
        let _ = std::fs::remove_dir_all(dir);
    }
}
