//! Documents before they run: automatic persisted queries (the Apollo hash protocol) and a cache
//! of parsed documents, so that the same few documents clients send over and over are parsed
//! and alias-counted once, and validated once for the same variables. Depth and complexity
//! are checked on every request.
//!
//! This runs in front of the schema rather than as schema extensions: a schema without
//! extensions resolves every field on its fast path.
use std::num::NonZeroUsize;
use std::sync::Mutex;

use async_graphql::Request;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use lru::LruCache;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// Documents longer than this are parsed every time instead of filling the cache.
const MAX_CACHED_BYTES: usize = 16 * 1024;

/// Why a request is refused before it runs.
pub struct Refused {
    pub message: String,
    pub code: &'static str,
}

impl Refused {
    fn new(message: impl Into<String>, code: &'static str) -> Self {
        Self { message: message.into(), code }
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
}

impl Documents {
    pub fn new(capacity: usize, max_aliases: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        Self {
            parsed: Mutex::new(LruCache::new(capacity)),
            persisted: Mutex::new(LruCache::new(capacity)),
            validated: Mutex::new(LruCache::new(capacity)),
            max_aliases,
        }
    }

    /// Resolves a persisted query's hash to its document, and attaches the parsed document. A
    /// document that does not parse is left for the schema to report.
    pub fn prepare(&self, request: &mut Request) -> Result<(), Refused> {
        if let Some(value) = request.extensions.remove("persistedQuery") {
            self.resolve_persisted(request, value)?;
        }
        if request.query.is_empty() {
            return Ok(());
        }
        let cached = self.parsed.lock().ok().and_then(|mut parsed| parsed.get(&request.query).cloned());
        let document = match cached {
            Some(document) => document,
            None => {
                let Ok(document) = async_graphql::parser::parse_query(&request.query) else { return Ok(()) };
                let aliases = aliases(&document);
                if aliases > self.max_aliases {
                    let message =
                        format!("the document uses {aliases} aliases; at most {} are allowed", self.max_aliases);
                    return Err(Refused::new(message, "BAD_USER_INPUT"));
                }
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
