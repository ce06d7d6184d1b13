use std::fmt;
use std::path::PathBuf;

/// A place in the manifest file, 1-based like editors show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub column: usize,
}

/// Everything that can be wrong with a manifest. Each problem names the file, the place in it and
/// the form that was expected.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read manifest {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", render_problems(path, problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted key path, e.g. `functions.overrides.get-races.memory`; empty for the whole file.
    pub key: String,
    pub location: Option<Location>,
    pub message: String,
}

impl ManifestError {
    /// The manifest the error is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            ManifestError::Read { path, .. } | ManifestError::Invalid { path, .. } => path,
        }
    }

    pub fn problems(&self) -> &[Problem] {
        match self {
            ManifestError::Read { .. } => &[],
            ManifestError::Invalid { problems, .. } => problems,
        }
    }
}

fn render_problems(path: &std::path::Path, problems: &[Problem]) -> String {
    let mut out = String::new();
    for (i, p) in problems.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("{}", PlacedProblem { path, problem: p }));
    }
    out
}

struct PlacedProblem<'a> {
    path: &'a std::path::Path,
    problem: &'a Problem,
}

impl fmt::Display for PlacedProblem<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(loc) = self.problem.location {
            write!(f, ":{}:{}", loc.line, loc.column)?;
        }
        if !self.problem.key.is_empty() {
            write!(f, ": `{}`", self.problem.key)?;
        }
        write!(f, ": {}", self.problem.message)
    }
}
