//! The `d2lbook` command line.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "d2lbook",
    version,
    about = "Build hands-on technical books: Markdown with math, figures, citations and Rust cells to a website"
)]
struct Cli {
    /// The book's folder (holding book.toml)
    #[arg(long, global = true, default_value = ".")]
    root: PathBuf,
    /// Treat warnings as errors
    #[arg(long, global = true)]
    strict: bool,
    /// Print only diagnostics
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build an output of the book
    Build {
        #[command(subcommand)]
        target: Target,
    },
    /// Preview the site: build it, serve it, rebuild and reload pages on each save
    Serve {
        /// The port to listen on (0: any free port; the URL says which)
        #[arg(long, default_value_t = 3000)]
        port: u16,
        /// The interface to listen on; other than a loopback address, this exposes the
        /// site to the network
        #[arg(long, default_value = "127.0.0.1")]
        host: String,
        /// Open the site in the browser
        #[arg(long)]
        open: bool,
        /// Show cells without running them
        #[arg(long)]
        no_eval: bool,
    },
    /// Carry the eval cache between machines (the jobs of a CI matrix)
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
    /// Remove the build output folder
    Clean,
    /// Start a new book in DIR (a new or empty folder) that builds at once
    New {
        /// The folder to create
        dir: PathBuf,
        /// The language of the book and of its sample text
        #[arg(long, default_value = "en", value_parser = d2lbook::scaffold::LANGUAGES)]
        lang: String,
        /// The book's title
        #[arg(long)]
        title: Option<String>,
    },
}

#[derive(Subcommand)]
enum CacheAction {
    /// Pack every entry of <output_dir>/eval/cache into FILE (a zip with a manifest)
    Export { file: PathBuf },
    /// Merge archives made by `cache export` into <output_dir>/eval/cache; entries are
    /// checked against their manifest, and one that differs from the cache's is an error
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
enum Target {
    /// The website, into <output_dir>/html (runs the cells first)
    Html {
        /// Show cells without running them
        #[arg(long)]
        no_eval: bool,
    },
    /// The PDF, into <output_dir>/pdf/<name>.pdf (runs the cells first)
    Pdf {
        /// Show cells without running them
        #[arg(long)]
        no_eval: bool,
        /// Also write the generated Typst source, <name>.typ, beside the PDF
        #[arg(long)]
        keep_typ: bool,
    },
    /// Jupyter notebooks (evcxr's Rust kernel), into <output_dir>/ipynb, with a zip of
    /// them and the library (runs the cells first: the notebooks carry their outputs)
    Ipynb {
        /// Write the notebooks without outputs, without running the cells
        #[arg(long)]
        no_eval: bool,
    },
    /// The site, the PDF and the notebooks in one run (the cells run once); the site's
    /// pages offer the PDF and the notebooks for download
    All {
        /// Show cells without running them
        #[arg(long)]
        no_eval: bool,
    },
    /// Run the Rust cells only (outputs are cached under <output_dir>/eval)
    Eval {
        /// Run only shard I of N (`2/3`): a stable split of the sections, balanced by
        /// their last run times; the outputs go into the eval cache (see `cache export`)
        #[arg(long, value_name = "I/N", value_parser = d2lbook::eval::shard::parse_shard)]
        shard: Option<(usize, usize)>,
        /// Run only the sections that `[eval] gpu` says need a GPU, or only the others
        #[arg(long, value_parser = ["cpu", "gpu"])]
        device: Option<String>,
        /// Print the plan of N shards (sections and last run times) and run nothing
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        list_shards: Option<u64>,
    },
    /// Check the links, anchors, images, scripts and stylesheets of the built site
    Linkcheck {
        /// Also check links to other sites (http, https): 10 s per request, 8 at a time,
        /// answers cached for a day in <output_dir>/cache/links.json
        #[arg(long)]
        external: bool,
    },
    /// Collect `//@save` items into the library's generated module
    Lib {
        /// Fail if the module is stale instead of writing it
        #[arg(long)]
        check: bool,
    },
}

fn main() -> ExitCode {
    // Cargo runs this binary in place of rustc for the cells' programs (eval::direct).
    if let Some(code) = d2lbook::eval::direct::wrap_if_asked() {
        return code;
    }
    if let Ok(exe) = std::env::current_exe() {
        d2lbook::eval::direct::enable(exe);
    }
    let cli = Cli::parse();
    let mut options = d2lbook::build::Options {
        root: cli.root.clone(),
        strict: cli.strict,
        quiet: cli.quiet,
        no_eval: false,
    };
    match cli.command {
        Command::Build { target } => {
            let outcome = match target {
                Target::Html { no_eval } => {
                    options.no_eval = no_eval;
                    d2lbook::build::html(&options)
                }
                Target::Pdf { no_eval, keep_typ } => {
                    options.no_eval = no_eval;
                    d2lbook::build::pdf(&options, keep_typ)
                }
                Target::Ipynb { no_eval } => {
                    options.no_eval = no_eval;
                    d2lbook::build::ipynb(&options)
                }
                Target::All { no_eval } => {
                    options.no_eval = no_eval;
                    d2lbook::build::all(&options)
                }
                Target::Eval {
                    shard,
                    device,
                    list_shards,
                } => {
                    let selection = d2lbook::eval::Selection {
                        shard,
                        device: device.map(|d| match d.as_str() {
                            "gpu" => d2lbook::eval::Device::Gpu,
                            _ => d2lbook::eval::Device::Cpu,
                        }),
                    };
                    d2lbook::build::eval(&options, selection, list_shards.map(|n| n as usize))
                }
                Target::Linkcheck { external } => d2lbook::build::linkcheck(&options, external),
                Target::Lib { check } => d2lbook::build::lib(&options, check),
            };
            if outcome.failed {
                return ExitCode::FAILURE;
            }
        }
        Command::Serve {
            port,
            host,
            open,
            no_eval,
        } => {
            options.no_eval = no_eval;
            let serve = d2lbook::serve::ServeOptions {
                build: options,
                host,
                port,
                open,
            };
            if !d2lbook::serve::serve(serve) {
                return ExitCode::FAILURE;
            }
        }
        Command::New { dir, lang, title } => {
            let title = title.unwrap_or_else(|| {
                if lang == "ja" {
                    "はじめての本"
                } else {
                    "My Book"
                }
                .to_string()
            });
            if let Err(e) = d2lbook::scaffold::create(&dir, &lang, &title) {
                eprint!("{}", d2lbook::diag::render_all(&[e], &cli.root));
                return ExitCode::FAILURE;
            }
            if !cli.quiet {
                eprintln!(
                    "created a book in {0}; build it with `d2lbook --root {0} build html`, \
                     or preview it with `d2lbook --root {0} serve`",
                    dir.display()
                );
            }
        }
        Command::Cache { action } => {
            let outcome = match action {
                CacheAction::Export { file } => d2lbook::build::cache_export(&options, &file),
                CacheAction::Import { files } => d2lbook::build::cache_import(&options, &files),
            };
            if outcome.failed {
                return ExitCode::FAILURE;
            }
        }
        Command::Clean => {
            if d2lbook::build::clean(&options).failed {
                return ExitCode::FAILURE;
            }
        }
    }
    ExitCode::SUCCESS
}
