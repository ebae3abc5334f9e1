//! `build linkcheck --external`: the site's http(s) links, each asked once (HEAD, then GET
//! where a server refuses HEAD) with a timeout, a few at a time. The answers are kept in
//! a cache file under the output folder: a rerun asks again only for links that failed
//! or whose answer has grown old, so that CI does not hammer the same servers daily.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How the links are asked for.
pub struct Limits {
    /// For one request, from connecting to the last byte of the answer's head.
    pub timeout: Duration,
    /// Requests at a time.
    pub concurrency: usize,
    /// How long a good answer is trusted.
    pub max_age: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(10),
            concurrency: 8,
            max_age: Duration::from_secs(24 * 60 * 60),
        }
    }
}

/// One link's last answer.
#[derive(Serialize, Deserialize, Clone)]
struct Answer {
    /// `None`: it works; else what is wrong (`404 Not Found`, a connection error).
    problem: Option<String>,
    /// When it was asked, in seconds since 1970.
    asked: u64,
}

#[derive(Serialize, Deserialize, Default)]
struct Cache {
    links: BTreeMap<String, Answer>,
}

/// What the check found: each link's problem (`None` when it works), and how many
/// links were asked rather than taken from the cache.
pub struct Found {
    pub problems: BTreeMap<String, Option<String>>,
    pub asked: usize,
}

/// Checks `urls` (without fragments), reading and then updating the cache at `cache_file`.
pub fn check(urls: &[String], cache_file: &Path, limits: &Limits) -> Found {
    use rayon::prelude::*;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // An unreadable cache is no cache: every link is asked again.
    let mut cache: Cache = std::fs::read(cache_file)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    let fresh =
        |a: &Answer| a.problem.is_none() && now.saturating_sub(a.asked) < limits.max_age.as_secs();
    let to_ask: Vec<&String> = urls
        .iter()
        .filter(|u| !cache.links.get(*u).is_some_and(fresh))
        .collect();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(limits.timeout))
        .http_status_as_error(false)
        .user_agent(concat!("d2lbook-linkcheck/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let answers: Vec<(String, Option<String>)> = match rayon::ThreadPoolBuilder::new()
        .num_threads(limits.concurrency.max(1))
        .build()
    {
        Ok(pool) => pool.install(|| {
            to_ask
                .par_iter()
                .map(|url| (url.to_string(), ask(&agent, url)))
                .collect()
        }),
        Err(e) => to_ask
            .iter()
            .map(|url| {
                (
                    url.to_string(),
                    Some(format!("cannot start the checks: {e}")),
                )
            })
            .collect(),
    };
    for (url, problem) in &answers {
        let answer = Answer {
            problem: problem.clone(),
            asked: now,
        };
        cache.links.insert(url.clone(), answer);
    }
    // Links the site no longer has leave the cache.
    cache.links.retain(|url, _| urls.contains(url));
    if let Ok(bytes) = serde_json::to_vec_pretty(&cache) {
        let tmp = cache_file.with_extension("tmp");
        let saved = cache_file
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&tmp, bytes))
            .and_then(|()| std::fs::rename(&tmp, cache_file));
        // A cache that cannot be saved costs the next run time, not this one its result.
        let _ = saved;
    }
    Found {
        problems: urls
            .iter()
            .map(|u| {
                (
                    u.clone(),
                    cache.links.get(u).and_then(|a| a.problem.clone()),
                )
            })
            .collect(),
        asked: answers.len(),
    }
}

/// What is wrong with `url`, or `None` when it answers with success (after redirects).
fn ask(agent: &ureq::Agent, url: &str) -> Option<String> {
    let status = |r: Result<ureq::http::Response<ureq::Body>, ureq::Error>| match r {
        Ok(response) => Ok(response.status()),
        Err(e) => Err(e.to_string()),
    };
    let mut answer = status(agent.head(url).call());
    // Some servers refuse HEAD (405, 501) or answer it differently (403): ask with GET.
    if matches!(&answer, Ok(s) if [403, 405, 501].contains(&s.as_u16())) {
        answer = status(agent.get(url).call());
    }
    match answer {
        Ok(s) if s.is_success() => None,
        Ok(s) => Some(format!(
            "{} {}",
            s.as_u16(),
            s.canonical_reason().unwrap_or_default()
        )),
        Err(e) => Some(e),
    }
}
