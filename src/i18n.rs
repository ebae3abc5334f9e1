//! The words the output shows around numbers and in the interface, by the book's
//! `language`, overridable key by key in `[labels]`.

use serde::Serialize;
use std::collections::BTreeMap;

/// `{}` in a reference word is where the number goes (`Fig. {}`, `図 {}`, `{} 節`).
#[derive(Debug, Clone, Serialize)]
pub struct Words {
    /// A reference to a chapter (a numbered section whose number has one part).
    pub chapter: String,
    pub section: String,
    pub figure: String,
    pub table: String,
    pub listing: String,
    pub contents: String,
    pub search: String,
    pub previous: String,
    pub next: String,
    pub on_this_page: String,
    pub copy: String,
    pub copied: String,
    pub toggle_theme: String,
    pub no_results: String,
    /// Shown in the search box's results where the browser cannot load the index (a
    /// site opened from disk in a browser that keeps `file://` pages apart).
    pub search_unavailable: String,
    pub menu: String,
    /// The button that shows the hidden lines of a Rust listing.
    pub show_hidden: String,
    /// The download menu and its entries (`{}` is the file's size).
    pub downloads: String,
    pub download_pdf: String,
    pub download_notebook: String,
    pub download_notebooks: String,
    /// The title and the text of the site's 404 page.
    pub not_found: String,
    pub not_found_text: String,
}

impl Words {
    /// The words for `language`, then the overrides; unknown override keys are returned.
    pub fn new(language: &str, overrides: &BTreeMap<String, String>) -> (Words, Vec<String>) {
        let mut words = if language.starts_with("ja") {
            Words {
                chapter: "{} 章".into(),
                section: "{} 節".into(),
                figure: "図 {}".into(),
                table: "表 {}".into(),
                listing: "リスト {}".into(),
                contents: "目次".into(),
                search: "検索".into(),
                previous: "前へ".into(),
                next: "次へ".into(),
                on_this_page: "このページの内容".into(),
                copy: "コピー".into(),
                copied: "コピーしました".into(),
                toggle_theme: "ダークモード切り替え".into(),
                no_results: "見つかりませんでした".into(),
                search_unavailable:
                    "検索は、サイトをウェブサーバーから開くと使えます（例: d2lbook serve）".into(),
                menu: "メニュー".into(),
                show_hidden: "隠れた行を表示".into(),
                downloads: "ダウンロード".into(),
                download_pdf: "本全体の PDF（{}）".into(),
                download_notebook: "この節のノートブック（.ipynb, {}）".into(),
                download_notebooks: "全ノートブックとライブラリ（.zip, {}）".into(),
                not_found: "ページが見つかりません".into(),
                not_found_text:
                    "このアドレスにはページがありません。目次から選ぶか、本を検索してください。"
                        .into(),
            }
        } else {
            Words {
                chapter: "Section {}".into(),
                section: "Section {}".into(),
                figure: "Fig. {}".into(),
                table: "Table {}".into(),
                listing: "Listing {}".into(),
                contents: "Contents".into(),
                search: "Search".into(),
                previous: "Previous".into(),
                next: "Next".into(),
                on_this_page: "On this page".into(),
                copy: "Copy".into(),
                copied: "Copied".into(),
                toggle_theme: "Toggle dark mode".into(),
                no_results: "No results".into(),
                search_unavailable: "Search works when the site is served over HTTP (e.g. d2lbook serve)".into(),
                menu: "Menu".into(),
                show_hidden: "Show hidden lines".into(),
                downloads: "Download".into(),
                download_pdf: "The whole book as PDF ({})".into(),
                download_notebook: "This section's notebook (.ipynb, {})".into(),
                download_notebooks: "All notebooks and the library (.zip, {})".into(),
                not_found: "Page not found".into(),
                not_found_text: "There is no page at this address. Choose one from the contents, or search the book.".into(),
            }
        };
        let mut unknown = Vec::new();
        for (key, value) in overrides {
            let slot = match key.as_str() {
                "chapter" => &mut words.chapter,
                "section" => &mut words.section,
                "figure" => &mut words.figure,
                "table" => &mut words.table,
                "listing" => &mut words.listing,
                "contents" => &mut words.contents,
                "search" => &mut words.search,
                "previous" => &mut words.previous,
                "next" => &mut words.next,
                "on_this_page" => &mut words.on_this_page,
                "copy" => &mut words.copy,
                "copied" => &mut words.copied,
                "toggle_theme" => &mut words.toggle_theme,
                "no_results" => &mut words.no_results,
                "search_unavailable" => &mut words.search_unavailable,
                "menu" => &mut words.menu,
                "show_hidden" => &mut words.show_hidden,
                "downloads" => &mut words.downloads,
                "download_pdf" => &mut words.download_pdf,
                "download_notebook" => &mut words.download_notebook,
                "download_notebooks" => &mut words.download_notebooks,
                "not_found" => &mut words.not_found,
                "not_found_text" => &mut words.not_found_text,
                _ => {
                    unknown.push(key.clone());
                    continue;
                }
            };
            *slot = value.clone();
        }
        (words, unknown)
    }
}

/// `Fig. {}` with `2.3.1` → `Fig. 2.3.1`.
pub fn fill(word: &str, number: &str) -> String {
    word.replace("{}", number)
}
