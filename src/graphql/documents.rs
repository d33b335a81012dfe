//! Documents before they run, over HTTP and WebSocket alike: automatic persisted queries (the
//! Apollo hash protocol), the limits that keep a hostile document from exhausting the process
//! (size, bracket nesting, aliases), strings the databases cannot store, and a cache of parsed
//! documents, so that the same few documents clients send over and over are parsed and checked
//! once, and validated once for the same variables. Depth and complexity are checked on every
//! request by the schema.
//!
//! This runs in front of the schema rather than as schema extensions: a schema without
//! extensions resolves every field on its fast path.
use std::num::NonZeroUsize;
use std::sync::Mutex;

use async_graphql::parser::types::{
    Directive, DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned, Request, Value};
use lru::LruCache;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Documents longer than this are parsed every time instead of filling the cache.
const MAX_CACHED_BYTES: usize = 16 * 1024;

/// The deepest nesting of `{`, `[` and `(` a document may have. Parsing, validating and
/// coercing a document recurse once per level, so this bound is what keeps a small hostile
/// document from overflowing a worker's stack; a legitimate document stays far below it (the
/// selection depth limit is much smaller).
pub const MAX_NESTING: usize = 64;

/// The code of a document that does not parse, as Apollo clients know it.
pub const PARSE_FAILED: &str = "GRAPHQL_PARSE_FAILED";

/// Why a request is refused before it runs.
pub struct Refused {
    pub message: String,
    pub code: &'static str,
    /// Where in the document, when the refusal is about a place in it.
    pub location: Option<async_graphql::Pos>,
}

impl Refused {
    pub fn new(message: impl Into<String>, code: &'static str) -> Self {
        Self { message: message.into(), code, location: None }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PersistedQuery {
    version: i64,
    sha256_hash: String,
}

pub struct Documents {
    parsed: Mutex<LruCache<String, ExecutableDocument>>,
    persisted: Mutex<LruCache<String, String>>,
    /// Requests (their bytes as sent: document, operation name, variables) that passed
    /// validation.
    validated: Mutex<LruCache<Box<[u8]>, ()>>,
    max_aliases: usize,
    max_bytes: usize,
}

impl Documents {
    pub fn new(capacity: usize, max_aliases: usize, max_bytes: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        Self {
            parsed: Mutex::new(LruCache::new(capacity)),
            persisted: Mutex::new(LruCache::new(capacity)),
            validated: Mutex::new(LruCache::new(capacity)),
            max_aliases,
            max_bytes,
        }
    }

    /// Resolves a persisted query's hash to its document, checks the document and the variables
    /// against the limits and for strings the databases cannot store, and attaches the parsed
    /// document. A document that does not parse is refused with [`PARSE_FAILED`]; the nesting
    /// bound makes parsing it safe.
    pub fn prepare(&self, request: &mut Request) -> Result<(), Refused> {
        if let Some(value) = request.extensions.remove("persistedQuery") {
            self.resolve_persisted(request, value)?;
        }
        check_variables(&request.variables)?;
        if request.query.is_empty() {
            return Ok(());
        }
        let cached = self.parsed.lock().ok().and_then(|mut parsed| parsed.get(&request.query).cloned());
        let document = match cached {
            Some(document) => document,
            None => {
                if request.query.len() > self.max_bytes {
                    let message = format!("the document is larger than {} bytes", self.max_bytes);
                    return Err(Refused::new(message, "BAD_USER_INPUT"));
                }
                if nesting_exceeds(&request.query, MAX_NESTING) {
                    let message = format!("the document nests brackets more than {MAX_NESTING} levels deep");
                    return Err(Refused::new(message, "BAD_USER_INPUT"));
                }
                let document = async_graphql::parser::parse_query(&request.query).map_err(|err| Refused {
                    location: err.positions().next(),
                    message: err.to_string(),
                    code: PARSE_FAILED,
                })?;
                let aliases = aliases(&document);
                if aliases > self.max_aliases {
                    let message =
                        format!("the document uses {aliases} aliases; at most {} are allowed", self.max_aliases);
                    return Err(Refused::new(message, "BAD_USER_INPUT"));
                }
                check_literals(&document)?;
                if request.query.len() <= MAX_CACHED_BYTES
                    && let Ok(mut parsed) = self.parsed.lock()
                {
                    parsed.put(request.query.clone(), document.clone());
                }
                document
            }
        };
        request.set_parsed_query(document);
        Ok(())
    }

    /// Whether the request sent as `raw` passed validation before. The same bytes carry the
    /// same document, operation name and variables, which is all validation looks at.
    pub fn passed_validation(&self, raw: &[u8]) -> bool {
        self.validated.lock().is_ok_and(|mut validated| validated.get(raw).is_some())
    }

    /// Remembers that the request sent as `raw` passed validation.
    pub fn record_validated(&self, raw: &[u8]) {
        if raw.len() <= MAX_CACHED_BYTES
            && let Ok(mut validated) = self.validated.lock()
        {
            validated.put(raw.into(), ());
        }
    }

    fn resolve_persisted(&self, request: &mut Request, value: async_graphql::Value) -> Result<(), Refused> {
        let invalid = || Refused::new("Invalid \"PersistedQuery\" extension configuration.", "BAD_USER_INPUT");
        let json = value.into_json().map_err(|_| invalid())?;
        let persisted: PersistedQuery = serde_json::from_value(json).map_err(|_| invalid())?;
        if persisted.version != 1 {
            return Err(Refused::new(
                "Only version 1 of the \"PersistedQuery\" extension is supported.",
                "BAD_USER_INPUT",
            ));
        }
        let mut store = self.persisted.lock().map_err(|_| Refused::new("internal error", "INTERNAL"))?;
        if request.query.is_empty() {
            match store.get(&persisted.sha256_hash) {
                Some(query) => request.query = query.clone(),
                None => return Err(Refused::new("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")),
            }
        } else {
            let hash = format!("{:x}", Sha256::digest(request.query.as_bytes()));
            if hash != persisted.sha256_hash {
                return Err(Refused::new("provided sha does not match query", "BAD_USER_INPUT"));
            }
            store.put(hash, request.query.clone());
        }
        Ok(())
    }
}

/// Whether the operation the request selects is a mutation.
pub fn is_mutation(request: &mut Request) -> bool {
    selected(request).is_some_and(|(_, ty)| ty == OperationType::Mutation)
}

/// The name of the operation the request selects, as sent or as the document gives it.
pub fn operation_name(request: &mut Request) -> Option<String> {
    selected(request).and_then(|(name, _)| name)
}

fn selected(request: &mut Request) -> Option<(Option<String>, OperationType)> {
    let name = request.operation_name.clone();
    let document = request.parsed_query().ok()?;
    match (&document.operations, name) {
        (DocumentOperations::Single(op), name) => Some((name, op.node.ty)),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name.as_str()).map(|op| (Some(name), op.node.ty)),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.iter().next().map(|(name, op)| (Some(name.to_string()), op.node.ty))
        }
        _ => None,
    }
}

/// Every alias of the document's operations and fragments.
fn aliases(document: &ExecutableDocument) -> usize {
    let operations: usize = document.operations.iter().map(|(_, op)| count(&op.node.selection_set.node)).sum();
    let fragments: usize = document.fragments.values().map(|f| count(&f.node.selection_set.node)).sum();
    operations + fragments
}

fn count(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => usize::from(field.node.alias.is_some()) + count(&field.node.selection_set.node),
            Selection::InlineFragment(fragment) => count(&fragment.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

/// Whether `source` nests `{`, `[` or `(` deeper than `limit`, outside strings and comments. A
/// lexical scan with no recursion: it runs before the parser, which recurses once per level.
fn nesting_exceeds(source: &str, limit: usize) -> bool {
    let bytes = source.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                // A block string ends at the first `"""` not escaped as `\"""`.
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    i += if bytes[i..].starts_with(b"\\\"\"\"") { 4 } else { 1 };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && !matches!(bytes[i], b'"' | b'\n' | b'\r') {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    false
}

/// Refuses a string no database here can store: PostgreSQL rejects U+0000 in text and JSON, so
/// it is refused on every database, naming where it was found.
fn check_string(text: &str, at: impl FnOnce() -> String) -> Result<(), Refused> {
    if text.contains('\0') {
        return Err(Refused::new(
            format!("{}: strings may not contain the NUL character (U+0000)", at()),
            "BAD_USER_INPUT",
        ));
    }
    Ok(())
}

/// [`check_string`] on every string of `value` (keys included), `path` naming the value.
fn check_value(value: &Value, path: &mut String) -> Result<(), Refused> {
    match value {
        Value::String(text) => check_string(text, || path.clone()),
        Value::List(items) => items.iter().enumerate().try_for_each(|(index, item)| {
            let len = path.len();
            path.push_str(&format!("[{index}]"));
            check_value(item, path)?;
            path.truncate(len);
            Ok(())
        }),
        Value::Object(fields) => fields.iter().try_for_each(|(key, item)| {
            let len = path.len();
            path.push('.');
            path.push_str(key);
            check_string(key, || path.clone())?;
            check_value(item, path)?;
            path.truncate(len);
            Ok(())
        }),
        Value::Null | Value::Number(_) | Value::Boolean(_) | Value::Binary(_) | Value::Enum(_) => Ok(()),
    }
}

/// The variables of a request (nested no deeper than the JSON parser allows).
fn check_variables(variables: &async_graphql::Variables) -> Result<(), Refused> {
    for (name, value) in variables.iter() {
        check_string(name, || format!("variable `${name}`"))?;
        check_value(value, &mut format!("variable `${name}`"))?;
    }
    Ok(())
}

/// The literal values of a document: arguments, directives and variable defaults.
fn check_literals(document: &ExecutableDocument) -> Result<(), Refused> {
    for (_, operation) in document.operations.iter() {
        for definition in &operation.node.variable_definitions {
            if let Some(default) = &definition.node.default_value {
                let mut path = format!("default of variable `${}`", definition.node.name.node);
                check_value(&default.node, &mut path)?;
            }
        }
        check_directives(&operation.node.directives)?;
        check_selections(&operation.node.selection_set.node)?;
    }
    for fragment in document.fragments.values() {
        check_directives(&fragment.node.directives)?;
        check_selections(&fragment.node.selection_set.node)?;
    }
    Ok(())
}

fn check_arguments(
    place: &str,
    arguments: &[(Positioned<Name>, Positioned<async_graphql_value::Value>)],
) -> Result<(), Refused> {
    for (name, value) in arguments {
        // Variables are checked with the request's variables.
        let value = value.node.clone().into_const_with(|_| Ok::<_, ()>(Value::Null)).unwrap_or_default();
        check_value(&value, &mut format!("argument `{}` of `{place}`", name.node))?;
    }
    Ok(())
}

fn check_directives(directives: &[Positioned<Directive>]) -> Result<(), Refused> {
    directives.iter().try_for_each(|d| check_arguments(&format!("@{}", d.node.name.node), &d.node.arguments))
}

fn check_selections(set: &SelectionSet) -> Result<(), Refused> {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                check_arguments(&field.node.name.node, &field.node.arguments)?;
                check_directives(&field.node.directives)?;
                check_selections(&field.node.selection_set.node)?;
            }
            Selection::InlineFragment(fragment) => {
                check_directives(&fragment.node.directives)?;
                check_selections(&fragment.node.selection_set.node)?;
            }
            Selection::FragmentSpread(spread) => check_directives(&spread.node.directives)?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_counts_brackets_outside_strings_and_comments() {
        assert!(!nesting_exceeds("{ a(x: [[1]]) { b } }", 5));
        assert!(nesting_exceeds("{ a(x: [[[[1]]]]) { b } }", 5));
        let deep = format!("{{ a(x: {}1{}) }}", "[".repeat(100), "]".repeat(100));
        assert!(nesting_exceeds(&deep, MAX_NESTING));
        let quoted = format!("{{ a(x: \"{}\") }} # {}", "[".repeat(100), "{".repeat(100));
        assert!(!nesting_exceeds(&quoted, 5));
        let block = format!("{{ a(x: \"\"\" \\\"\"\" {} \"\"\") }}", "(".repeat(100));
        assert!(!nesting_exceeds(&block, 5));
        let escaped = format!("{{ a(x: \"\\\" {}\") }}", "[".repeat(100));
        assert!(!nesting_exceeds(&escaped, 5));
    }
}
