//! Finds where a key path stands in the YAML text, so that a value that parsed but is invalid can
//! be reported with its line and column. serde_yaml reports positions only for its own parse
//! errors, so the text is walked with yaml-rust2's event parser, which carries marks. The same walk
//! screens the text before serde_yaml sees it (`Locator::findings`): an empty manifest, a second
//! document, a key given twice (at the second one), and aliases that would expand the manifest
//! beyond a bound, so that alias expansion never costs more than the bound's time and memory.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

use super::error::{Location, Problem};

/// What the manifest may weigh once its aliases are expanded: a node counts 1, a scalar also its
/// length. Real manifests weigh a few kilobytes.
pub const MAX_EXPANDED_WEIGHT: usize = 1 << 20;

/// Key path (`a.b.0.c`) → where its value starts.
#[derive(Debug, Default)]
pub struct Locator {
    places: HashMap<String, Location>,
    findings: Vec<Problem>,
    /// The chosen environment's overlay (`environments.NAME`, `previews`): a key it sets is
    /// placed there.
    overlay: Option<String>,
}

impl Locator {
    pub fn new(text: &str) -> Locator {
        let mut walker = Walker::default();
        let mut parser = Parser::new_from_str(text);
        // serde_yaml reports a syntax error with its own place; keep what was found before it.
        // `true`: every document, so a second one is seen.
        let _ = parser.load(&mut walker, true);
        let mut findings = walker.findings;
        if walker.nodes == 0 {
            findings.push(Problem {
                key: String::new(),
                location: Some(Location { line: 1, column: 1 }),
                message: "the manifest is empty: write at least `stack: <name>`, so that a truncated file never deploys a stack of defaults".into(),
            });
        }
        Locator {
            places: walker.places,
            findings,
            overlay: None,
        }
    }

    /// Places the keys the overlay at `key` sets in the overlay.
    pub fn overlaid_by(&mut self, key: &str) {
        self.overlay = Some(key.to_string());
    }

    /// What is wrong with the text as YAML, found before it is read into types.
    pub fn findings(&self) -> &[Problem] {
        &self.findings
    }

    /// The place of `key`'s value; for a key that is not in the file, the place of its nearest
    /// ancestor's key (where the missing key would go). `a.b#key` asks for the key itself.
    pub fn find(&self, key: &str) -> Option<Location> {
        let overlaid = self
            .overlay
            .as_ref()
            .and_then(|o| self.places.get(&format!("{o}.{key}")));
        if let Some(loc) = overlaid.or_else(|| self.places.get(key)) {
            return Some(*loc);
        }
        let mut key = key.trim_end_matches("#key");
        loop {
            key = key.rsplit_once('.')?.0;
            if let Some(loc) = self
                .places
                .get(&format!("{key}#key"))
                .or_else(|| self.places.get(key))
            {
                return Some(*loc);
            }
        }
    }
}

enum Frame {
    /// In a mapping; `pending_key` is the key whose value comes next, if a key was just read;
    /// `keys` the keys read so far, with their places.
    Map {
        pending_key: Option<String>,
        keys: HashMap<String, Location>,
    },
    Seq {
        index: usize,
    },
}

#[derive(Default)]
struct Walker {
    stack: Vec<(Frame, String)>,
    places: HashMap<String, Location>,
    findings: Vec<Problem>,
    /// Content nodes seen, aliases included.
    nodes: usize,
    documents: usize,
    /// Per open collection: its weight so far and its anchor (0: none).
    weights: Vec<(usize, usize)>,
    /// Anchor id → the weight of the node it names.
    anchored: HashMap<usize, usize>,
    total: usize,
    too_heavy: bool,
}

impl Walker {
    /// Called for a node in value position; returns the path of that node, or None when the node
    /// is a mapping key.
    fn value_path(&mut self) -> Option<String> {
        let Some((frame, path)) = self.stack.last_mut() else {
            return Some(String::new());
        };
        let join = |base: &str, part: &str| {
            if base.is_empty() {
                part.to_string()
            } else {
                format!("{base}.{part}")
            }
        };
        match frame {
            Frame::Map { pending_key, .. } => pending_key.take().map(|k| join(path, &k)),
            Frame::Seq { index } => {
                let p = join(path, &index.to_string());
                *index += 1;
                Some(p)
            }
        }
    }
}

impl Walker {
    fn find(&mut self, loc: Location, key: &str, message: String) {
        self.findings.push(Problem {
            key: key.to_string(),
            location: Some(loc),
            message,
        });
    }

    /// Adds a finished node's weight to its parent (or the document), and remembers an anchored
    /// one's, refusing once the whole would pass the bound.
    fn weigh(&mut self, weight: usize, anchor: usize, loc: Location) {
        if anchor != 0 {
            self.anchored.insert(anchor, weight);
        }
        match self.weights.last_mut() {
            Some((w, _)) => *w = w.saturating_add(weight),
            None => self.total = self.total.saturating_add(weight),
        }
        let open: usize = self.weights.iter().map(|(w, _)| *w).sum();
        if !self.too_heavy && self.total.saturating_add(open) > MAX_EXPANDED_WEIGHT {
            self.too_heavy = true;
            self.find(
                loc,
                "",
                format!("the manifest's aliases expand it beyond {MAX_EXPANDED_WEIGHT} bytes; write the values out, or use fewer aliases"),
            );
        }
    }

    /// A key in the mapping on top: a second one of the same name is reported where it stands.
    fn key(&mut self, value: &str, loc: Location) {
        let Some((Frame::Map { keys, .. }, base)) = self.stack.last_mut() else {
            return;
        };
        let path = if base.is_empty() {
            value.to_string()
        } else {
            format!("{base}.{value}")
        };
        if let Some(first) = keys.get(value) {
            let message = format!(
                "`{value}` is given twice in this mapping (first at line {}, column {})",
                first.line, first.column
            );
            self.find(loc, &path, message);
        } else {
            keys.insert(value.to_string(), loc);
        }
    }
}

impl MarkedEventReceiver for Walker {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let loc = Location {
            line: mark.line(),
            column: mark.col() + 1,
        };
        match &ev {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents == 2 {
                    self.find(loc, "", "a second YAML document: a manifest is one document (remove the `---` and what follows, or merge them)".into());
                }
            }
            Event::Scalar(value, _, anchor, _) => {
                self.nodes += 1;
                self.weigh(1 + value.len(), *anchor, loc);
            }
            Event::Alias(id) => {
                self.nodes += 1;
                let weight = self.anchored.get(id).copied().unwrap_or(1);
                self.weigh(weight, 0, loc);
            }
            Event::MappingStart(anchor, _) | Event::SequenceStart(anchor, _) => {
                self.nodes += 1;
                self.weights.push((1, *anchor));
            }
            Event::MappingEnd | Event::SequenceEnd => {
                if let Some((weight, anchor)) = self.weights.pop() {
                    self.weigh(weight, anchor, loc);
                }
            }
            _ => {}
        }
        match ev {
            Event::Alias(_) => {
                // An alias in value position stands for a value; as a key it is refused by serde.
                let _ = self.value_path();
            }
            Event::Scalar(value, ..) => match self.value_path() {
                Some(path) => {
                    self.places.insert(path, loc);
                }
                None => {
                    // A key: its value follows. Point unknown-key errors at the key itself.
                    self.key(&value, loc);
                    if let Some((Frame::Map { pending_key, .. }, base)) = self.stack.last_mut() {
                        let path = if base.is_empty() {
                            value.clone()
                        } else {
                            format!("{base}.{value}")
                        };
                        self.places.entry(format!("{path}#key")).or_insert(loc);
                        *pending_key = Some(value);
                    }
                }
            },
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                let path = self.value_path().unwrap_or_default();
                self.places.insert(path.clone(), loc);
                let frame = if matches!(ev, Event::MappingStart(..)) {
                    Frame::Map {
                        pending_key: None,
                        keys: HashMap::new(),
                    }
                } else {
                    Frame::Seq { index: 0 }
                };
                self.stack.push((frame, path));
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nested_values_and_list_items() {
        let text = "stack: a\nfunctions:\n  overrides:\n    get-races:\n      memory: 99\napi:\n  cors:\n    allow_headers: [X, Y]\n";
        let l = Locator::new(text);
        assert_eq!(l.find("stack"), Some(Location { line: 1, column: 8 }));
        assert_eq!(
            l.find("functions.overrides.get-races.memory"),
            Some(Location {
                line: 5,
                column: 15
            })
        );
        assert_eq!(
            l.find("api.cors.allow_headers.1"),
            Some(Location {
                line: 8,
                column: 24
            })
        );
        // Absent keys point at the nearest present ancestor's key.
        assert_eq!(
            l.find("api.cors.allow_origin"),
            Some(Location { line: 7, column: 3 })
        );
    }
}
