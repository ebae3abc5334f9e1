//! LaTeX math as plain text, for where markup cannot go (alt text, reference texts, page
//! titles): letters and symbols as their Unicode characters (`\alpha` → α, `\leq` → ≤),
//! styles dropped (`\mathbf{x}` → x), `\frac{a}{b}` as a/b, scripts kept as `^` and `_`
//! (`x^{n+1}` → x^(n+1)); a command it does not know reads as its name (`\log` → log).

/// `tex` as plain text, its runs of spaces made one.
pub fn math_text(tex: &str) -> String {
    let mut reader = Reader {
        chars: tex.chars().collect(),
        pos: 0,
        depth: 0,
    };
    let text = reader.sequence();
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Groups nest at most this deep; deeper braces are read as if they were not there, so
/// that no input can exhaust the stack.
const MAX_DEPTH: usize = 32;

struct Reader {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
}

impl Reader {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    /// Up to the `}` that closes the group being read (consumed) or the end.
    fn sequence(&mut self) -> String {
        let mut out = String::new();
        while let Some(c) = self.peek() {
            self.pos += 1;
            match c {
                '}' if self.depth > 0 => return out,
                // A brace deeper than `MAX_DEPTH`, or one that closes nothing.
                '{' | '}' => {
                    if c == '{' && self.depth < MAX_DEPTH {
                        out.push_str(&self.group());
                    }
                }
                '\\' => out.push_str(&self.command()),
                '^' | '_' => {
                    let script = self.argument();
                    out.push(c);
                    out.push_str(&parenthesised(&script));
                }
                '&' | '~' | '\n' | '\t' => out.push(' '),
                c => out.push(c),
            }
        }
        out
    }

    /// The group whose `{` was just read.
    fn group(&mut self) -> String {
        self.depth += 1;
        let text = self.sequence();
        self.depth -= 1;
        text
    }

    /// One argument: a group, a command, or one character (spaces before it skipped).
    /// Arguments nest (`\frac\frac…`) at most `MAX_DEPTH` deep too.
    fn argument(&mut self) -> String {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
        let Some(c) = self.peek() else {
            return String::new();
        };
        self.pos += 1;
        if self.depth >= MAX_DEPTH {
            return String::new();
        }
        self.depth += 1;
        let text = match c {
            '{' => self.sequence(),
            '}' => String::new(),
            '\\' => self.command(),
            c => c.to_string(),
        };
        self.depth -= 1;
        text
    }

    /// The command whose `\` was just read, and the arguments it takes.
    fn command(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.pos += 1;
        }
        if self.pos == start {
            // A one-character command: `\{`, `\|`, `\,`, `\\`…
            return match self.peek() {
                None => String::new(),
                Some(c) => {
                    self.pos += 1;
                    match c {
                        '|' => "‖".into(),
                        ',' | ';' | ':' | '!' | ' ' | '\\' => " ".into(),
                        c => c.to_string(),
                    }
                }
            };
        }
        let name: String = self.chars[start..self.pos].iter().collect();
        if self.peek() == Some('*') {
            self.pos += 1; // `\operatorname*`, `\begin{align*}`'s star is in the group
        }
        match name.as_str() {
            "frac" | "dfrac" | "tfrac" => {
                let numerator = self.argument();
                let denominator = self.argument();
                format!(
                    "{}/{}",
                    parenthesised(&numerator),
                    parenthesised(&denominator)
                )
            }
            "sqrt" => {
                if self.peek() == Some('[') {
                    // The index of a root: `\sqrt[3]{x}` reads ∛-less, as 3√x.
                    let close = self.chars[self.pos..].iter().position(|&c| c == ']');
                    let index: String = match close {
                        Some(n) => {
                            let index = self.chars[self.pos + 1..self.pos + n].iter().collect();
                            self.pos += n + 1;
                            index
                        }
                        None => String::new(),
                    };
                    format!("{index}√{}", parenthesised(&self.argument()))
                } else {
                    format!("√{}", parenthesised(&self.argument()))
                }
            }
            "mathbb" => self.argument().chars().map(double_struck).collect(),
            "begin" | "end" => {
                self.argument();
                " ".into()
            }
            "quad" | "qquad" => " ".into(),
            name => match symbol(name) {
                Some(s) => s.into(),
                None if SILENT.contains(&name) => self.argument(),
                None => format!(" {name} "),
            },
        }
    }
}

/// A script or a fraction's part as it reads after `^`, `_` or around `/`: one character as
/// it is, more in parentheses (unless they are there already).
fn parenthesised(text: &str) -> String {
    let text = text.trim();
    let wrapped = text.starts_with('(') && text.ends_with(')');
    if text.chars().count() <= 1 || wrapped {
        text.to_string()
    } else {
        format!("({text})")
    }
}

/// Commands that only style or size what follows them: their argument reads as it is.
const SILENT: &[&str] = &[
    "mathbf",
    "mathrm",
    "mathit",
    "mathsf",
    "mathtt",
    "mathcal",
    "mathscr",
    "mathfrak",
    "boldsymbol",
    "bm",
    "text",
    "textrm",
    "textbf",
    "textit",
    "mbox",
    "operatorname",
    "hat",
    "widehat",
    "bar",
    "overline",
    "underline",
    "tilde",
    "widetilde",
    "vec",
    "dot",
    "ddot",
    "left",
    "right",
    "big",
    "Big",
    "bigg",
    "Bigg",
    "bigl",
    "bigr",
    "Bigl",
    "Bigr",
    "displaystyle",
    "textstyle",
    "scriptstyle",
    "limits",
    "nolimits",
    "nonumber",
    "notag",
];

fn symbol(name: &str) -> Option<&'static str> {
    Some(match name {
        "alpha" => "α",
        "beta" => "β",
        "gamma" => "γ",
        "delta" => "δ",
        "epsilon" => "ϵ",
        "varepsilon" => "ε",
        "zeta" => "ζ",
        "eta" => "η",
        "theta" => "θ",
        "vartheta" => "ϑ",
        "iota" => "ι",
        "kappa" => "κ",
        "lambda" => "λ",
        "mu" => "μ",
        "nu" => "ν",
        "xi" => "ξ",
        "pi" => "π",
        "rho" => "ρ",
        "sigma" => "σ",
        "tau" => "τ",
        "upsilon" => "υ",
        "phi" => "ϕ",
        "varphi" => "φ",
        "chi" => "χ",
        "psi" => "ψ",
        "omega" => "ω",
        "Gamma" => "Γ",
        "Delta" => "Δ",
        "Theta" => "Θ",
        "Lambda" => "Λ",
        "Xi" => "Ξ",
        "Pi" => "Π",
        "Sigma" => "Σ",
        "Upsilon" => "Υ",
        "Phi" => "Φ",
        "Psi" => "Ψ",
        "Omega" => "Ω",
        "times" => "×",
        "cdot" => "·",
        "div" => "÷",
        "pm" => "±",
        "mp" => "∓",
        "leq" | "le" => "≤",
        "geq" | "ge" => "≥",
        "neq" | "ne" => "≠",
        "approx" => "≈",
        "equiv" => "≡",
        "sim" => "∼",
        "propto" => "∝",
        "in" => "∈",
        "notin" => "∉",
        "subset" => "⊂",
        "subseteq" => "⊆",
        "cup" => "∪",
        "cap" => "∩",
        "infty" => "∞",
        "sum" => "∑",
        "prod" => "∏",
        "int" => "∫",
        "partial" => "∂",
        "nabla" => "∇",
        "to" | "rightarrow" => "→",
        "leftarrow" | "gets" => "←",
        "Rightarrow" | "implies" => "⇒",
        "mapsto" => "↦",
        "ldots" | "dots" => "…",
        "cdots" => "⋯",
        "top" => "⊤",
        "perp" => "⊥",
        "mid" | "vert" | "lvert" | "rvert" => "|",
        "Vert" | "lVert" | "rVert" => "‖",
        "langle" => "⟨",
        "rangle" => "⟩",
        "forall" => "∀",
        "exists" => "∃",
        "neg" => "¬",
        "land" | "wedge" => "∧",
        "lor" | "vee" => "∨",
        "circ" => "∘",
        "odot" => "⊙",
        "otimes" => "⊗",
        "oplus" => "⊕",
        "prime" => "′",
        "ell" => "ℓ",
        "emptyset" => "∅",
        _ => return None,
    })
}

fn double_struck(c: char) -> char {
    match c {
        'R' => 'ℝ',
        'N' => 'ℕ',
        'Z' => 'ℤ',
        'Q' => 'ℚ',
        'C' => 'ℂ',
        c => c,
    }
}

#[cfg(test)]
mod tests {
    use super::math_text;

    #[test]
    fn math_reads_as_plain_text() {
        assert_eq!(math_text(r"\mathbf{x}"), "x");
        assert_eq!(math_text(r"\alpha"), "α");
        assert_eq!(math_text("x^2"), "x^2");
        assert_eq!(math_text(r"\mathbf{x}^\top \mathbf{w} + b"), "x^⊤ w + b");
        assert_eq!(math_text(r"\hat{y}^{(i)} = x_{i+1}"), "y^(i) = x_(i+1)");
        assert_eq!(math_text(r"\frac{1}{2}(\hat y - y)^2"), "1/2(y - y)^2");
        assert_eq!(math_text(r"\frac{a+b}{c} \leq \sqrt{x}"), "(a+b)/c ≤ √x");
        assert_eq!(math_text(r"\mathbf{w} \in \mathbb{R}^{d}"), "w ∈ ℝ^d");
        assert_eq!(math_text(r"\log \|\mathbf{x}\|_2"), "log ‖x‖_2");
        assert_eq!(
            math_text(r"\operatorname*{argmin}_{\mathbf{w}, b}\ L"),
            "argmin_(w, b) L"
        );
        assert_eq!(
            math_text(r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}"),
            "1 2 3 4"
        );
    }

    #[test]
    fn any_input_reads_without_a_backslash_or_a_panic() {
        for tex in [
            "",
            "\\",
            "{",
            "}",
            "x^",
            r"\frac{a}",
            r"\sqrt[3",
            r"\unknown{x}",
            &"{".repeat(10_000),
            &"}".repeat(100),
        ] {
            let text = math_text(tex);
            assert!(!text.contains('\\'), "{tex:?} → {text:?}");
        }
        assert_eq!(math_text(r"\unknown{x}"), "unknown x");
        assert_eq!(
            math_text(&format!("{}x{}", "{".repeat(100), "}".repeat(100))),
            "x"
        );
    }
}
